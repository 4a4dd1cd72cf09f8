from datetime import timedelta

import pytest
from django.utils import timezone

from areas.models import Area
from recommendations.models import Recommendation
from tests.factories import RecommendationFactory, ReportFactory, ThemeFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/recommendations/"


def references(response):
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


@pytest.fixture
def spread():
    """Four recommendations across areas, themes, statuses, priorities, horizons and reports."""
    agile, digital = ThemeFactory(slug="agile"), ThemeFactory(slug="digital")
    cuspe, other = ReportFactory(slug="cuspe"), ReportFactory(slug="other")
    culture, technology = Area.objects.get(slug="culture"), Area.objects.get(slug="technology")
    return {
        "GOV-1": RecommendationFactory(
            title="Open data by default",
            report=cuspe,
            themes=[agile],
            status="accepted",
            priority="high",
            horizon="short",
        ),
        "CULT-1": RecommendationFactory(
            title="Reward experiments",
            area=culture,
            report=cuspe,
            themes=[agile, digital],
            status="proposed",
            priority="low",
            horizon="long",
        ),
        "TECH-1": RecommendationFactory(
            title="Shared platforms",
            summary="Build once and share the data.",
            area=technology,
            report=other,
            themes=[digital],
            status="implemented",
            priority="medium",
            horizon="medium",
        ),
        "GOV-2": RecommendationFactory(title="Hidden draft", draft=True),
    }


def test_without_filters_the_public_gets_every_published_one_in_reference_order(api, spread):
    assert references(api.get(LIST)) == ["GOV-1", "CULT-1", "TECH-1"]


def test_area_may_repeat_and_any_of_them_matches(api, spread):
    response = api.get(LIST + "?area=culture&area=technology")

    assert references(response) == ["CULT-1", "TECH-1"]


def test_theme_may_repeat_and_a_match_on_both_is_listed_once(api, spread):
    assert references(api.get(LIST + "?theme=agile&theme=digital")) == [
        "GOV-1",
        "CULT-1",
        "TECH-1",
    ]
    assert references(api.get(LIST + "?theme=digital")) == ["CULT-1", "TECH-1"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=accepted", ["GOV-1"]),
        ("status=accepted&status=implemented", ["GOV-1", "TECH-1"]),
        ("priority=low", ["CULT-1"]),
        ("horizon=medium", ["TECH-1"]),
        ("report=other", ["TECH-1"]),
        ("q=share+data", ["TECH-1"]),
        ("q=tech-1", ["TECH-1"]),
        ("area=governance&status=proposed", []),
    ],
)
def test_each_filter_narrows_the_list(api, spread, query, expected):
    assert references(api.get(f"{LIST}?{query}")) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["GOV-1", "CULT-1", "TECH-1"]),
        ("-title", ["TECH-1", "CULT-1", "GOV-1"]),
        ("-reference", ["TECH-1", "CULT-1", "GOV-1"]),
        ("changed_at", ["GOV-1", "CULT-1", "TECH-1"]),
        ("-updated_at", ["TECH-1", "CULT-1", "GOV-1"]),
    ],
)
def test_ordering_sorts_the_list(api, spread, ordering, expected):
    assert references(api.get(LIST, {"ordering": ordering})) == expected


def test_updated_since_lists_only_what_changed_since(api, spread):
    since = timezone.now()
    spread["CULT-1"].save()

    response = api.get(LIST, {"updated_since": since.isoformat()})

    assert references(response) == ["CULT-1"]


def test_updated_since_includes_one_that_went_public_by_schedule_without_an_edit(api, spread):
    long_ago = timezone.now() - timedelta(days=30)
    Recommendation.objects.update(updated_at=long_ago, published_at=long_ago)
    Recommendation.objects.filter(reference="TECH-1").update(
        published_at=timezone.now() - timedelta(minutes=1)
    )

    response = api.get(LIST, {"updated_since": (timezone.now() - timedelta(days=1)).isoformat()})

    assert references(response) == ["TECH-1"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("priority=urgent", "priority"),
        ("horizon=forever", "horizon"),
        ("area=nowhere", "area"),
        ("area=governance&area=nowhere", "area"),
        ("theme=nowhere", "theme"),
        ("report=nowhere", "report"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-13-45", "updated_since"),
        ("ordering=colour", "ordering"),
        ("sort=colour", "sort"),
        ("q=" + "x" * 201, "q"),
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
    ],
)
def test_an_unusable_value_is_a_400_that_names_the_parameter(api, spread, query, field):
    response = api.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [field]
    assert response.json()[field][0]


def test_page_size_may_be_a_hundred(api, spread):
    assert api.get(LIST, {"page_size": 100}).status_code == 200


def test_a_page_past_the_end_is_a_json_404(api, spread):
    response = api.get(LIST, {"page": 9})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_the_tombstone_list_refuses_a_malformed_since(api):
    response = api.get(LIST + "withdrawn/", {"since": "last tuesday"})

    assert response.status_code == 400
    assert list(response.json()) == ["since"]
