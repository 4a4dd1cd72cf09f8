"""What the cheaper queries behind the public pages must not change.

The counts come from one GROUP BY per facet; each is checked against a plain count of the same
recommendations, so a faster query can never change a number a reader sees. (How fast they
are is measured by bench/, never here.)
"""

import itertools

import pytest

from areas.models import Area, Theme
from recommendations.models import Recommendation, grouped_counts
from tests.factories import ExampleFactory, RecommendationFactory, ReferenceFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def themes():
    return [ThemeFactory(slug=f"theme-{letter}") for letter in "abc"]


@pytest.fixture
def mixed(themes):
    """Recommendations in two areas with none, one or two themes, some statuses and drafts."""
    areas = [Area.objects.get(slug="governance"), Area.objects.get(slug="culture")]
    tagged = [[], themes[:1], themes[1:2], themes[:2]]
    statuses = ["proposed", "accepted", "implemented"]
    for number, (area, tags, status) in enumerate(
        itertools.islice(itertools.cycle(itertools.product(areas, tagged, statuses)), 30)
    ):
        RecommendationFactory(
            area=area, themes=tags, status=status, priority="high" if number % 2 else "low"
        )
    RecommendationFactory(area=areas[0], themes=themes, draft=True)


def shown_counts(response):
    """{facet: {option: count}} of a list page."""
    return {
        facet.name: {option.value: option.count for option in facet.options}
        for facet in response.context["facets"]
    }


def test_each_facet_count_is_a_plain_count_of_what_that_option_would_list(client, mixed):
    response = client.get(
        "/recommendations/",
        {"theme": ["theme-a", "theme-b"], "status": ["accepted", "implemented"]},
    )

    published = Recommendation.objects.published()
    two_themes = {"themes__slug__in": ["theme-a", "theme-b"]}
    two_statuses = {"status__in": ["accepted", "implemented"]}
    expected = {
        "area": {
            area.slug: published.filter(area=area, **two_themes, **two_statuses).distinct().count()
            for area in Area.objects.all()
        },
        "theme": {
            theme.slug: published.filter(themes=theme, **two_statuses).count()
            for theme in Theme.objects.all()
        },
        "status": {
            status: published.filter(status=status, **two_themes).distinct().count()
            for status, _label in Recommendation.Status.choices
        },
        "priority": {
            priority: published.filter(priority=priority, **two_themes, **two_statuses)
            .distinct()
            .count()
            for priority, _label in Recommendation.Priority.choices
        },
    }
    shown = shown_counts(response)
    for name, counts in expected.items():
        assert shown[name] == counts, name
    assert (
        response.context["count"]
        == published.filter(**two_themes, **two_statuses).distinct().count()
    )


def test_the_home_page_counts_each_area_and_theme_and_the_total(client, mixed, themes):
    response = client.get("/")

    published = Recommendation.objects.published()
    areas = {area.slug: area.recommendation_count for area in response.context["areas"]}
    theme_counts = {theme.slug: theme.recommendation_count for theme in response.context["themes"]}
    assert areas == {area.slug: published.filter(area=area).count() for area in Area.objects.all()}
    assert theme_counts == {
        theme.slug: published.filter(themes=theme).count() for theme in Theme.objects.all()
    }
    assert theme_counts["theme-c"] == 0
    assert response.context["total"] == published.count() == 30


def test_the_themes_page_counts_each_theme_once_per_recommendation(client, mixed):
    response = client.get("/themes/")

    published = Recommendation.objects.published()
    assert {theme.slug: theme.recommendation_count for theme in response.context["themes"]} == {
        theme.slug: published.filter(themes=theme).count() for theme in Theme.objects.all()
    }
    assert response.context["total"] == published.count()


def test_a_recommendation_a_filter_repeats_still_counts_once(mixed, themes):
    # Filtered across two themes, a recommendation with both is two rows until made distinct.
    both = Recommendation.objects.published().filter(themes__in=themes[:2]).distinct()

    by_area = dict(
        Area.objects.with_recommendation_counts(both).values_list("slug", "recommendation_count")
    )
    grouped = grouped_counts({"area": both, "status": both})

    assert by_area["governance"] == both.filter(area__slug="governance").count()
    assert sum(grouped["area"].values()) == sum(grouped["status"].values()) == both.count()


def test_links_added_from_an_example_or_a_reference_are_kept_in_their_history(mixed):
    recommendation = Recommendation.objects.published().first()
    example, reference = ExampleFactory(), ReferenceFactory()

    example.recommendations.add(recommendation)
    reference.recommendations.add(recommendation)

    assert example.history.count() == 2 and reference.history.count() == 2
    assert example.history.first().title == example.title
