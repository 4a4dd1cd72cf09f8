"""Anonymous answers are kept and replayed, and dropped the moment content changes."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from cuspe_portal import cache as page_cache
from recommendations import services
from recommendations.models import Recommendation
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ThemeFactory,
    TokenFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ["/", "/recommendations/", "/recommendations/GOV-1/", "/api/v1/recommendations/"]


@pytest.fixture
def recommendation():
    return RecommendationFactory(title="Kept title")


@pytest.mark.parametrize("path", PAGES)
def test_a_second_anonymous_request_is_replayed_without_a_query(
    client, recommendation, path, django_assert_num_queries
):
    first = client.get(path)
    with django_assert_num_queries(0):
        second = client.get(path)

    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda item: Recommendation.objects.get(pk=item.pk).save(), id="save"),
        pytest.param(lambda item: item.themes.add(ThemeFactory()), id="link"),
        pytest.param(lambda item: item.examples.add(ExampleFactory()), id="example"),
        pytest.param(lambda item: item.delete(), id="delete"),
        pytest.param(
            lambda item: services.item_unpublish(
                item=item, by=UserFactory(is_superuser=True, is_staff=True)
            ),
            id="unpublish",
        ),
    ],
)
@pytest.mark.parametrize("path", PAGES)
def test_any_change_to_content_drops_every_kept_answer(client, recommendation, path, change):
    client.get(path)
    assert client.get(path)["X-Cache"] == "hit"

    change(recommendation)

    assert client.get(path)["X-Cache"] == "miss"


def test_a_published_edit_shows_at_once(client, recommendation):
    assert "Kept title" in client.get("/recommendations/GOV-1/").text
    recommendation.title = "New title"
    recommendation.save()

    assert "New title" in client.get("/recommendations/GOV-1/").text


def test_a_signed_in_reader_is_never_served_from_or_into_the_cache(client, recommendation):
    editor = UserFactory(is_staff=True)
    client.force_login(editor)

    assert "X-Cache" not in client.get("/recommendations/")
    client.logout()
    assert client.get("/recommendations/")["X-Cache"] == "miss"


def test_a_token_is_never_served_from_the_cache(client, recommendation):
    token = TokenFactory(user=UserFactory()).key
    client.get("/api/v1/recommendations/")

    response = client.get("/api/v1/recommendations/", HTTP_AUTHORIZATION=f"Token {token}")

    assert "X-Cache" not in response


def test_conditional_requests_go_to_the_view_which_answers_304(client, recommendation):
    etag = client.get("/api/v1/recommendations/GOV-1/")["ETag"]
    client.get("/api/v1/recommendations/GOV-1/")

    response = client.get("/api/v1/recommendations/GOV-1/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert "X-Cache" not in response


def test_the_api_keeps_one_answer_per_format(client, recommendation):
    client.get("/api/v1/recommendations/", HTTP_ACCEPT="application/json")
    html = client.get("/api/v1/recommendations/", HTTP_ACCEPT="text/html")

    assert html["X-Cache"] == "miss"
    assert html["Content-Type"].startswith("text/html")
    again = client.get("/api/v1/recommendations/", HTTP_ACCEPT="application/json")
    assert again["X-Cache"] == "hit"
    assert again["Content-Type"] == "application/json"


def test_each_address_is_kept_apart(client, recommendation):
    client.get("/recommendations/?status=proposed")

    assert client.get("/recommendations/?status=accepted")["X-Cache"] == "miss"


def test_errors_and_answers_that_set_cookies_are_not_kept(client, recommendation):
    client.get("/recommendations/NOPE-1/")
    assert client.get("/recommendations/NOPE-1/")["X-Cache"] == "miss"

    client.get("/admin/login/")  # sets the CSRF cookie, and is never kept anyway
    assert "X-Cache" not in client.get("/admin/login/")


def test_head_is_answered_from_what_get_kept(client, recommendation):
    full = client.get("/recommendations/")

    head = client.head("/recommendations/")

    assert head["X-Cache"] == "hit"
    assert head.content == b""
    assert head["Content-Length"] == str(len(full.content))


def test_probes_and_the_admin_are_never_kept(client):
    for path in ("/healthz", "/readyz", "/admin/login/"):
        client.get(path)
        assert "X-Cache" not in client.get(path), path


def kept_page_timeouts(client, path):
    """Fetch `path` and return the timeouts the page cache kept answers for."""
    with mock.patch.object(cache, "set", wraps=cache.set) as kept:
        client.get(path)
    return [
        call.kwargs["timeout"]
        for call in kept.call_args_list
        if call.args[0].startswith(page_cache.KEY_PREFIX) and isinstance(call.args[1], tuple)
    ]


def test_an_answer_is_kept_only_until_the_next_scheduled_publication(client, recommendation):
    RecommendationFactory(published_at=timezone.now() + timedelta(seconds=90))

    (timeout,) = kept_page_timeouts(client, "/recommendations/")

    assert 80 <= timeout <= 91


def test_without_a_scheduled_publication_answers_are_kept_for_the_set_time(
    client, recommendation, settings
):
    settings.PORTAL_PAGE_CACHE_SECONDS = 321

    assert kept_page_timeouts(client, "/recommendations/") == [321]


def test_a_cache_that_fails_is_served_around(client, recommendation):
    with mock.patch.object(cache, "get", side_effect=ConnectionError("refused")):
        response = client.get("/recommendations/")

    assert response.status_code == 200
    assert "Kept title" in response.text


def test_the_page_cache_can_be_turned_off(client, recommendation, settings):
    settings.PORTAL_PAGE_CACHE_SECONDS = 0
    client.get("/recommendations/")

    assert "X-Cache" not in client.get("/recommendations/")


def test_each_host_is_kept_apart_and_a_host_not_allowed_is_refused(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "portal.example"]
    client.get("/api/v1/areas/")

    other = client.get("/api/v1/areas/", HTTP_HOST="portal.example")
    refused = client.get("/api/v1/areas/", HTTP_HOST="evil.example")

    assert other["X-Cache"] == "miss"
    assert "http://portal.example/api/v1/" in other.text
    assert refused.status_code == 400


def test_a_page_made_in_the_last_second_before_a_publication_is_not_kept(client, recommendation):
    RecommendationFactory(published_at=timezone.now() + timedelta(milliseconds=500))

    assert kept_page_timeouts(client, "/recommendations/") == []
    assert client.get("/recommendations/")["X-Cache"] == "miss"


def test_an_anonymous_api_request_is_let_through_when_the_rate_cannot_be_counted(
    client, settings, no_page_cache
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute"},
    }
    with mock.patch("rest_framework.throttling.SimpleRateThrottle.cache") as counts:
        counts.get.side_effect = ConnectionError("refused")
        response = client.get("/api/v1/areas/")

    assert response.status_code == 200
