import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_a_minute(settings):
    """Two anonymous requests a minute, each reaching the API (none replayed from the cache)."""
    settings.PORTAL_PAGE_CACHE_SECONDS = 0
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"},
    }
    cache.clear()


def test_an_anonymous_client_over_the_rate_gets_a_429_saying_when_to_retry(api, two_a_minute):
    statuses = [api.get("/api/v1/areas/").status_code for _ in range(3)]

    response = api.get("/api/v1/areas/")

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"]


def test_a_client_with_a_token_is_not_held_to_the_anonymous_rate(reader, two_a_minute):
    statuses = [reader.get("/api/v1/areas/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]


def test_the_rate_is_counted_per_client_address(api, two_a_minute):
    for _ in range(2):
        api.get("/api/v1/areas/", REMOTE_ADDR="192.0.2.1")

    assert api.get("/api/v1/areas/", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert api.get("/api/v1/areas/", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(api, two_a_minute):
    statuses = [
        api.get("/api/v1/areas/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_answers_replayed_from_the_page_cache_cost_nothing_and_are_not_counted(
    api, two_a_minute, settings
):
    settings.PORTAL_PAGE_CACHE_SECONDS = 600
    responses = [api.get("/api/v1/areas/") for _ in range(4)]

    assert [response.status_code for response in responses] == [200] * 4
    assert [response["X-Cache"] for response in responses] == ["miss", "hit", "hit", "hit"]
    assert api.get("/api/v1/themes/").status_code == 200
    assert api.get("/api/v1/reports/").status_code == 429
