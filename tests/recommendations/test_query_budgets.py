"""Every public page runs a fixed number of SQL queries, whatever the number of rows.

The content is made in bulk (200 published recommendations and some drafts, each with themes,
examples, references and related recommendations), and each page must stay within its budget.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from areas.models import Area
from recommendations.models import (
    Example,
    PublicationState,
    Recommendation,
    Reference,
)
from tests.factories import ReportFactory, ThemeFactory

# Budgets count what a page itself costs, so the page cache is off.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]

STATUSES = [value for value, _label in Recommendation.Status.choices]
PRIORITIES = ["high", "medium", "low", ""]


def make_recommendations(count, drafts=10):
    """`count` published recommendations (and `drafts` drafts), with all their links, in bulk."""
    report = ReportFactory(slug="big-report")
    areas = list(Area.objects.all())
    themes = [ThemeFactory(slug=f"theme-{number}") for number in range(7)]
    now = timezone.now()
    examples = Example.objects.bulk_create(
        Example(
            title=f"Case study {number} on budgets",
            slug=f"case-{number}",
            summary="What happened with the budgets.",
            publication_state=PublicationState.PUBLISHED,
            published_at=now,
        )
        for number in range(40)
    )
    references = Reference.objects.bulk_create(
        Reference(title=f"Paper {number} on budgets", authors="A. Author", year=2016)
        for number in range(30)
    )
    recommendations = Recommendation.objects.bulk_create(
        Recommendation(
            report=report,
            area=areas[number % len(areas)],
            reference=f"{areas[number % len(areas)].code}-{number // len(areas) + 1}",
            number=number // len(areas) + 1,
            title=f"Recommendation {number} on budgets",
            slug=f"recommendation-{number}",
            summary="Pool budgets across services for shared outcomes.",
            rationale="Because **evidence** says so.",
            rationale_html="<p>Because <strong>evidence</strong> says so.</p>",
            status=STATUSES[number % len(STATUSES)],
            priority=PRIORITIES[number % len(PRIORITIES)],
            publication_state=(
                PublicationState.DRAFT if number >= count else PublicationState.PUBLISHED
            ),
            published_at=None if number >= count else now,
        )
        for number in range(count + drafts)
    )
    through = Recommendation.themes.through
    through.objects.bulk_create(
        through(recommendation=recommendation, theme=themes[(index + step) % len(themes)])
        for index, recommendation in enumerate(recommendations)
        for step in (0, 3)
    )
    through = Recommendation.examples.through
    through.objects.bulk_create(
        through(recommendation=recommendation, example=examples[index % len(examples)])
        for index, recommendation in enumerate(recommendations)
    )
    through = Recommendation.sources.through
    through.objects.bulk_create(
        through(recommendation=recommendation, reference=references[index % len(references)])
        for index, recommendation in enumerate(recommendations)
    )
    through = Recommendation.related.through
    pairs = zip(recommendations, recommendations[1:] + recommendations[:1], strict=True)
    through.objects.bulk_create(
        through(from_recommendation=one, to_recommendation=other)
        for first, second in pairs
        for one, other in ((first, second), (second, first))
    )
    return recommendations


@pytest.fixture
def content():
    return make_recommendations(200)


# Every kind of filter at once, matching enough rows (about 28) for a second page.
LIST_FILTERS = (
    "?area=governance&area=culture&theme=theme-0&theme=theme-3&status=proposed"
    "&status=implemented&report=big-report&q=budgets&sort=priority&page=2"
)

# Each page's budget, and why: one query per thing the page shows, never one per row.
BUDGETS = {
    # report, areas with counts, themes with counts, total
    "/": 4,
    # reports with counts
    "/about/": 1,
    # areas and themes with counts, the matrix
    "/themes/": 3,
    # the area or theme; 3 related facets less its own, the choice facets; count, page, themes
    "/areas/governance/": 7,
    "/themes/theme-0/": 7,
    # area, theme, report facets, choice facets, count, page, the page's themes
    "/recommendations/": 7,
    # the same, plus checking the chosen areas, themes and report exist
    f"/recommendations/{LIST_FILTERS}": 10,
    # the recommendation, its themes, related, examples, references and progress updates
    "/recommendations/GOV-1/": 6,
    # the lower-case address finds it and redirects
    "/recommendations/gov-1/": 1,
    # the examples, with the recommendations each illustrates
    "/examples/": 2,
    # the example, the recommendations it illustrates and their themes
    "/examples/case-1/": 3,
    # the counts of every kind, the ranked page, then each kind's results on the page
    # (references with the recommendations citing them)
    "/search/?q=budgets": 6,
    "/search/?q=budgets&type=references&page=2": 4,
    # count and rows per section: pages, areas, themes, recommendations, examples
    "/sitemap.xml": 8,
    # the rows, their themes, examples and related recommendations
    "/recommendations/export.csv": 4,
    f"/recommendations/export.json{LIST_FILTERS.replace('&page=2', '')}": 7,
}


@pytest.mark.parametrize(("path", "budget"), BUDGETS.items(), ids=list(BUDGETS))
def test_each_page_keeps_to_its_query_budget_with_200_recommendations(
    client, content, path, budget, django_assert_max_num_queries
):
    with django_assert_max_num_queries(budget):
        response = client.get(path)

    assert response.status_code in (200, 301)


@pytest.mark.parametrize(
    "path",
    [
        "/recommendations/",
        f"/recommendations/{LIST_FILTERS.replace('&page=2', '')}",
        "/search/?q=budgets",
        "/recommendations/export.csv",
    ],
)
def test_a_list_costs_the_same_with_20_recommendations_as_with_200(client, path):
    def queries_with(count):
        make_recommendations(count, drafts=0)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        for model in (Recommendation, Example, Reference):
            model.objects.all().delete()
        return len(queries)

    assert queries_with(20) == queries_with(200)
