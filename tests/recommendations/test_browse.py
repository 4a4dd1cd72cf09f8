"""The filterable lists: /recommendations/, and an area's and a theme's page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from areas.models import Area
from recommendations.models import Recommendation
from tests.factories import RecommendationFactory, ReportFactory, ThemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agile():
    return ThemeFactory(name="Agile", slug="agile")


@pytest.fixture
def open_data():
    return ThemeFactory(name="Open data", slug="open-data")


def area(slug):
    return Area.objects.get(slug=slug)


def references_on(response):
    """The references of the recommendations the page lists, in order."""
    return [item.reference for item in response.context["page"].object_list]


def facet(response, name):
    """{option value: (count, chosen)} for one facet of a list page."""
    found = next(facet for facet in response.context["facets"] if facet.name == name)
    return {option.value: (option.count, option.chosen) for option in found.options}


def test_the_list_shows_every_published_recommendation_and_how_many(client):
    RecommendationFactory.create_batch(3)
    RecommendationFactory(draft=True, title="Secret plan")

    response = client.get("/recommendations/")

    assert response.status_code == 200
    assert references_on(response) == ["GOV-1", "GOV-2", "GOV-3"]
    assert "3 recommendations" in response.text
    assert "Secret plan" not in response.text


def test_two_areas_show_recommendations_in_either(client):
    RecommendationFactory(title="In governance")
    RecommendationFactory(title="In culture", area=area("culture"))
    RecommendationFactory(title="In technology", area=area("technology"))

    response = client.get("/recommendations/", {"area": ["governance", "culture"]})

    assert references_on(response) == ["GOV-1", "CULT-1"]


def test_filters_of_different_kinds_must_all_match(client, agile):
    RecommendationFactory(themes=[agile], status="accepted", title="Agile and accepted")
    RecommendationFactory(themes=[agile], status="proposed")
    RecommendationFactory(status="accepted")

    response = client.get("/recommendations/", {"theme": "agile", "status": "accepted"})

    assert [item.title for item in response.context["page"].object_list] == ["Agile and accepted"]


def test_two_themes_list_a_recommendation_with_both_only_once(client, agile, open_data):
    RecommendationFactory(themes=[agile, open_data])
    RecommendationFactory(themes=[open_data])

    response = client.get("/recommendations/", {"theme": ["agile", "open-data"]})

    assert references_on(response) == ["GOV-1", "GOV-2"]
    assert response.context["count"] == 2


def test_each_option_counts_what_it_would_show_given_the_other_filters(client, agile):
    RecommendationFactory(themes=[agile], status="accepted")
    RecommendationFactory(themes=[agile], status="proposed")
    RecommendationFactory(area=area("culture"), themes=[agile], status="accepted")
    RecommendationFactory(area=area("culture"), status="accepted")
    RecommendationFactory(area=area("culture"), themes=[agile], draft=True)

    response = client.get("/recommendations/", {"area": "governance", "theme": "agile"})

    # Areas are counted as if the area filter were off: both areas' agile recommendations.
    assert facet(response, "area")["governance"] == (2, True)
    assert facet(response, "area")["culture"] == (1, False)
    # Statuses are counted within governance and agile.
    assert facet(response, "status")["accepted"] == (1, False)
    assert facet(response, "status")["proposed"] == (1, False)
    assert facet(response, "status")["implemented"] == (0, False)
    assert facet(response, "theme")["agile"] == (2, True)


def test_choice_counts_respect_the_other_choice_filters(client):
    RecommendationFactory(status="accepted", priority="high")
    RecommendationFactory(status="accepted", priority="low")
    RecommendationFactory(status="proposed", priority="high")

    response = client.get("/recommendations/", {"status": "accepted", "priority": "high"})

    assert facet(response, "status")["accepted"] == (1, True)
    assert facet(response, "status")["proposed"] == (1, False)
    assert facet(response, "priority")["high"] == (1, True)
    assert facet(response, "priority")["low"] == (1, False)
    assert references_on(response) == ["GOV-1"]


def test_a_recommendation_with_two_chosen_themes_counts_once_in_another_facet(
    client, agile, open_data
):
    RecommendationFactory(themes=[agile, open_data])

    response = client.get("/recommendations/", {"theme": ["agile", "open-data"]})

    assert facet(response, "area")["governance"] == (1, False)
    assert facet(response, "status")["proposed"] == (1, False)


def test_the_options_are_checkboxes_with_their_counts(client, agile):
    RecommendationFactory(themes=[agile])

    page = client.get("/recommendations/", {"theme": "agile"}).text

    assert re.search(
        r'<input class="govuk-checkboxes__input" id="filter-theme" name="theme" '
        r'type="checkbox" value="agile" checked>',
        page,
    )
    assert re.search(r"Agile <span class=\"portal-facet-count\">\(1\)</span>", page)


def test_each_filter_in_use_has_a_link_that_removes_only_it(client, agile):
    RecommendationFactory(themes=[agile])

    response = client.get(
        "/recommendations/",
        {"area": ["governance", "culture"], "theme": "agile", "sort": "title", "page": "1"},
    )

    links = {chip["label"]: chip["url"] for chip in response.context["chips"]}
    assert links == {
        "Governance": "/recommendations/?area=culture&theme=agile&sort=title",
        "Culture": "/recommendations/?area=governance&theme=agile&sort=title",
        "Agile": "/recommendations/?area=governance&area=culture&sort=title",
    }
    assert 'href="/recommendations/?sort=title">Clear all filters</a>' in response.text
    assert "Remove filter </span>Area: Governance" in response.text


def test_words_find_recommendations_by_reference_or_text(client):
    RecommendationFactory(title="Open the data")
    RecommendationFactory(summary="Publish budgets openly.")
    RecommendationFactory(title="Something else")

    assert references_on(client.get("/recommendations/", {"q": "gov-2"})) == ["GOV-2"]
    assert references_on(client.get("/recommendations/", {"q": "budgets"})) == ["GOV-2"]
    response = client.get("/recommendations/", {"q": "data"})
    assert references_on(response) == ["GOV-1"]
    assert any(chip["label"] == "“data”" for chip in response.context["chips"])


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["GOV-1", "GOV-2", "CULT-1"]),
        ("reference", ["GOV-1", "GOV-2", "CULT-1"]),
        ("title", ["CULT-1", "GOV-2", "GOV-1"]),
        ("priority", ["GOV-2", "CULT-1", "GOV-1"]),
    ],
)
def test_the_list_sorts_as_asked(client, sort, expected):
    RecommendationFactory(title="Zebra crossing", priority="low")
    RecommendationFactory(title="Middle way", priority="high")
    RecommendationFactory(title="Apple cart", priority="medium", area=area("culture"))

    assert references_on(client.get("/recommendations/", {"sort": sort})) == expected


def test_recently_updated_comes_first_when_asked(client):
    older, newer = RecommendationFactory.create_batch(2)
    Recommendation.objects.filter(pk=older.pk).update(updated_at=timezone.now())

    response = client.get("/recommendations/", {"sort": "-updated"})

    assert references_on(response) == [older.reference, newer.reference]


def test_pages_hold_twenty_and_their_links_keep_the_filters(client):
    RecommendationFactory.create_batch(45, status="accepted")

    first = client.get("/recommendations/", {"status": "accepted", "sort": "title"})
    last = client.get("/recommendations/", {"status": "accepted", "sort": "title", "page": "3"})

    assert len(first.context["page"].object_list) == 20
    assert len(last.context["page"].object_list) == 5
    assert 'href="/recommendations/?status=accepted&amp;sort=title&amp;page=2" rel="next"' in (
        first.text
    )
    assert 'href="/recommendations/?status=accepted&amp;sort=title&amp;page=2" rel="prev"' in (
        last.text
    )
    assert "(page 3 of 3)" in last.text


@pytest.mark.parametrize(
    ("number", "message"),
    [("9", "There is no page 9: the results fill 1 page."), ("two", "whole numbers")],
)
def test_a_page_that_does_not_exist_is_a_404_that_says_so(client, number, message):
    RecommendationFactory()

    response = client.get("/recommendations/", {"page": number, "area": "governance"})

    assert response.status_code == 404
    assert message in response.text
    assert 'href="/recommendations/?area=governance">Go to the first page' in response.text


def test_an_unknown_value_is_named_and_the_other_filters_still_apply(client):
    RecommendationFactory(status="accepted")
    RecommendationFactory(status="proposed")

    response = client.get(
        "/recommendations/", {"status": ["accepted"], "area": "nowhere", "report": "nothing"}
    )

    assert response.status_code == 200
    assert "Some filters could not be used" in response.text
    assert "“nowhere” is not one of the areas. Choose from the list." in response.text
    assert "“nothing” is not one of the reports. Choose from the list." in response.text
    assert '<a href="#filter-area">' in response.text
    assert "<title>Error: Recommendations" in response.text
    assert references_on(response) == ["GOV-1"]
    # The links on the page leave the bad values out.
    assert all("nowhere" not in chip["url"] for chip in response.context["chips"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"updated_since": "last tuesday"}, "Enter a date and time such as"),
        ({"sort": "cheapest"}, "“cheapest” is not one of the ways to sort."),
        ({"q": "x" * 201}, "Enter 200 characters or fewer"),
        ({"area": "gov\x00ernance"}, "Null characters are not allowed"),
        ({"q": "a\x00b"}, "Null characters are not allowed"),
        ({"status": "\x00"}, "is not one of the statuses"),
    ],
)
def test_bad_input_gets_a_clear_message_never_an_error(client, params, message):
    RecommendationFactory()

    response = client.get("/recommendations/", params)

    assert response.status_code == 200
    assert message in response.text
    assert references_on(response) == ["GOV-1"]


def test_updated_since_filters_and_survives_applying_other_filters(client):
    old = RecommendationFactory()
    Recommendation.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=30),
        published_at=timezone.now() - timedelta(days=30),
    )
    RecommendationFactory()
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    response = client.get("/recommendations/", {"updated_since": since})

    assert references_on(response) == ["GOV-2"]
    assert f'<input type="hidden" name="updated_since" value="{since}">' in response.text
    assert any(chip["group"] == "Updated since" for chip in response.context["chips"])


def test_a_filter_with_one_option_is_not_offered_unless_chosen(client):
    RecommendationFactory()

    offered = [facet.name for facet in client.get("/recommendations/").context["facets"]]
    report = Recommendation.objects.get().report.slug
    chosen = client.get("/recommendations/", {"report": report}).context["facets"]

    assert "report" not in offered
    assert "report" in [facet.name for facet in chosen]


def test_reports_are_offered_as_radios_when_there_are_several(client):
    RecommendationFactory(report=ReportFactory(short_title="First", slug="first"))
    RecommendationFactory(report=ReportFactory(short_title="Second", slug="second"))

    response = client.get("/recommendations/", {"report": "second"})

    assert references_on(response) == ["GOV-2"]
    assert 'type="radio" value=""' in response.text
    assert 'type="radio" value="second" checked' in response.text
    assert facet(response, "report") == {"first": (1, False), "second": (1, True)}


def test_the_export_links_carry_the_current_filters(client, agile):
    RecommendationFactory(themes=[agile])

    response = client.get("/recommendations/", {"theme": "agile", "sort": "title", "page": "1"})

    assert 'href="/recommendations/export.csv?theme=agile&amp;sort=title"' in response.text
    assert 'href="/recommendations/export.json?theme=agile&amp;sort=title"' in response.text


def test_the_title_names_the_filters_in_use(client, agile):
    RecommendationFactory(themes=[agile])

    response = client.get("/recommendations/", {"theme": "agile", "area": "governance"})

    assert "<title>Recommendations: Governance, Agile – " in response.text


def test_an_area_page_filters_within_its_area(client, agile):
    RecommendationFactory(themes=[agile], title="Agile governance")
    RecommendationFactory(title="Plain governance")
    RecommendationFactory(area=area("culture"), themes=[agile], title="Agile culture")

    response = client.get("/areas/governance/", {"theme": "agile", "area": "culture"})

    assert [item.title for item in response.context["page"].object_list] == ["Agile governance"]
    assert "area" not in [facet.name for facet in response.context["facets"]]
    assert facet(response, "theme")["agile"] == (1, True)
    assert "1 recommendation in Governance" in response.text
    assert 'action="/areas/governance/"' in response.text
    assert 'href="/recommendations/export.csv?theme=agile&amp;area=governance"' in response.text


def test_a_theme_page_filters_within_its_theme(client, agile):
    RecommendationFactory(themes=[agile], status="accepted", title="Agile accepted")
    RecommendationFactory(themes=[agile], status="proposed", title="Agile proposed")
    RecommendationFactory(status="accepted", title="Not agile")

    response = client.get("/themes/agile/", {"status": "accepted"})

    assert [item.title for item in response.context["page"].object_list] == ["Agile accepted"]
    assert "theme" not in [facet.name for facet in response.context["facets"]]
    assert facet(response, "area")["governance"] == (1, False)


def test_an_unknown_area_or_theme_page_is_a_404(client):
    assert client.get("/areas/nowhere/").status_code == 404
    assert client.get("/themes/nothing/").status_code == 404
