"""Faults: a database that stops answering, and a request that fails half-way through.

The same faults against real processes (gunicorn, PostgreSQL stopped behind a relay) are in
tests/deploy/test_servers.py; these run in-process on every database.
"""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from recommendations import services
from recommendations.models import PublicationState, PublicChange, Recommendation
from tests.factories import RecommendationFactory

# Real transactions, as in production; the areas that a migration makes are put back after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def database_down():
    """Every statement fails as it does when PostgreSQL has stopped."""
    return mock.patch(
        "django.db.backends.utils.CursorWrapper._execute",
        side_effect=OperationalError("connection refused: is the server running?"),
    )


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


def test_pages_answer_a_styled_503_while_the_database_is_down(anonymous):
    RecommendationFactory()

    with database_down():
        response = anonymous.get("/recommendations/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert "Sorry, the service is unavailable" in response.text
    assert 'rel="stylesheet"' in response.text
    assert response["X-Request-ID"] in response.text
    assert "connection refused" not in response.text  # the cause goes to the log only


def test_a_failed_statement_on_a_database_that_answers_is_a_500_not_a_503(anonymous):
    with mock.patch(
        "recommendations.views.Recommendation.objects.published",
        side_effect=OperationalError("database is locked"),
    ):
        response = anonymous.get("/recommendations/")

    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert response["X-Request-ID"] in response.text


def test_the_api_answers_a_json_503_while_the_database_is_down(anonymous):
    with database_down():
        response = anonymous.get("/api/v1/recommendations/")

    assert response.status_code == 503
    assert "database cannot be reached" in response.json()["detail"]


def test_kept_pages_are_still_served_and_service_resumes_when_the_database_returns(anonymous):
    RecommendationFactory(title="Still here")
    anonymous.get("/recommendations/GOV-1/")

    with database_down():
        kept = anonymous.get("/recommendations/GOV-1/")
        missing = anonymous.get("/examples/")

    assert (kept.status_code, kept["X-Cache"]) == (200, "hit")
    assert "Still here" in kept.text
    assert missing.status_code == 503
    assert anonymous.get("/examples/").status_code == 200
    assert anonymous.get("/readyz").status_code == 200


def test_a_request_that_fails_half_way_leaves_nothing_half_saved(admin_client):
    drafts = RecommendationFactory.create_batch(3, draft=True)
    publish = services.item_publish
    calls = []

    def publish_then_fail(*, item, by):
        calls.append(item.pk)
        if len(calls) == 3:
            raise OperationalError("the connection was lost")
        publish(item=item, by=by)

    admin_client.raise_request_exception = False
    with mock.patch.object(services, "item_publish", publish_then_fail):
        response = admin_client.post(
            "/admin/recommendations/recommendation/",
            {"action": "publish_selected", "_selected_action": [draft.pk for draft in drafts]},
        )

    assert response.status_code == 500  # the database still answers: not a 503
    assert len(calls) == 3  # two were published before the third failed...
    states = set(Recommendation.objects.values_list("publication_state", flat=True))
    assert states == {PublicationState.DRAFT}  # ...and neither publication was kept
    assert not PublicChange.objects.exists()
    assert all(draft.history.count() == 1 for draft in drafts)  # no history of it either
