"""Every list and page costs a fixed number of queries, however many rows there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from areas.models import Area
from recommendations.models import IssuedReference, Recommendation
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
)

# Budgets count what a page itself costs, so the page cache is off.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]

# path: the most queries it may make (counted with 200 recommendations, each with three
# themes, examples, references and related recommendations, and 20 withdrawn).
# Every list's Last-Modified is one query (cuspe_portal/viewsets.py `latest()`).
BUDGETS = {
    "/api/v1/recommendations/?page_size=100": 9,
    "/api/v1/recommendations/?page_size=100&theme=theme-a&ordering=-changed_at": 8,
    "/api/v1/recommendations/?format=csv": 8,
    "/api/v1/recommendations/withdrawn/?page_size=100": 3,
    "/api/v1/recommendations/GOV-1/": 5,
    "/api/v1/areas/": 3,
    "/api/v1/areas/governance/": 2,
    "/api/v1/themes/": 3,
    "/api/v1/examples/?page_size=100": 4,
    "/api/v1/examples/case-a/": 2,
    "/api/v1/references/?page_size=100": 3,
    "/api/v1/reports/": 3,
}


@pytest.fixture
def two_hundred():
    report = ReportFactory()
    themes = [ThemeFactory(slug=f"theme-{letter}") for letter in "abc"]
    examples = [ExampleFactory(slug=f"case-{letter}") for letter in "abc"]
    sources = ReferenceFactory.create_batch(3)
    areas = list(Area.objects.all())
    recommendations = [
        RecommendationFactory(report=report, area=areas[number % len(areas)])
        for number in range(220)
    ]
    links = [
        (Recommendation.themes.through, "theme", themes),
        (Recommendation.examples.through, "example", examples),
        (Recommendation.sources.through, "reference", sources),
        (Recommendation.related.through, "to_recommendation", recommendations[:3]),
    ]
    for through, name, targets in links:
        through.objects.bulk_create(
            through(
                **{
                    "from_recommendation" if name.startswith("to_") else "recommendation": row,
                    name: target,
                }
            )
            for row in recommendations
            for target in targets
            if row != target
        )
    for withdrawn in recommendations[200:]:
        withdrawn.delete()
    assert Recommendation.objects.published().count() == 200
    assert IssuedReference.objects.withdrawn().count() == 20


def over_budget(client, allowance=0):
    """The paths that made more queries than their budget (and how many they made)."""
    spent = {}
    for path, budget in BUDGETS.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        if len(queries) > budget + allowance:
            spent[path] = len(queries)
    return spent


def test_every_endpoint_keeps_to_its_query_budget(api, two_hundred):
    assert over_budget(api) == {}


def test_a_reader_who_sees_drafts_costs_only_their_token_and_permissions_more(reader, two_hundred):
    RecommendationFactory.create_batch(5, draft=True)

    assert over_budget(reader, allowance=3) == {}
