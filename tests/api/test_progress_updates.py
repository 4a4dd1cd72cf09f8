from datetime import date

import pytest

from recommendations import services
from recommendations.models import ProgressUpdate
from tests.api.conftest import client_for
from tests.factories import RecommendationFactory, UserFactory

pytestmark = pytest.mark.django_db

UPDATES = "/api/v1/recommendations/GOV-1/updates/"


@pytest.fixture
def tracked():
    lead = UserFactory(username="lead", is_superuser=True)
    recommendation = RecommendationFactory(owner=lead, owner_team="Strategy team")
    for fields in [
        {"date": date(2026, 5, 1), "status": "accepted", "note": "Agreed."},
        {"date": date(2026, 6, 1), "status": "in_progress", "note": "Budget.", "is_public": False},
    ]:
        services.progress_update_save(
            update=ProgressUpdate(recommendation=recommendation, **fields), by=lead
        )
    return recommendation


def test_anonymous_clients_read_public_updates_only_without_authors(api, tracked):
    response = api.get(UPDATES)

    assert response.status_code == 200
    assert [(u["date"], u["note"], u["author"]) for u in response.json()["results"]] == [
        ("2026-05-01", "Agreed.", None)
    ]


def test_readers_with_admin_view_rights_see_internal_notes_and_follow_up(reader, tracked):
    updates = reader.get(UPDATES).json()["results"]
    detail = reader.get("/api/v1/recommendations/GOV-1/").json()

    assert [(u["note"], u["is_public"], u["author"]) for u in updates] == [
        ("Budget.", False, "lead"),
        ("Agreed.", True, "lead"),
    ]
    assert detail["follow_up"]["owner_team"] == "Strategy team"
    assert detail["follow_up"]["owner"] == "lead"
    assert detail["status"] == "accepted"  # an internal note does not set the public status


def test_anonymous_clients_get_no_follow_up(api, tracked):
    detail = api.get("/api/v1/recommendations/GOV-1/").json()

    assert detail["follow_up"] is None
    assert "Strategy team" not in api.get("/api/v1/recommendations/").content.decode()


@pytest.fixture
def programme_lead(db):
    """A publisher: may record progress."""
    permissions = [
        "recommendations.view_recommendation",
        "recommendations.add_recommendation",
        "recommendations.add_progressupdate",
    ]
    return client_for(UserFactory(username="programme-lead", permissions=permissions))


def test_a_programme_lead_records_progress_and_the_status_follows(programme_lead, tracked):
    response = programme_lead.post(
        UPDATES,
        {"date": "2026-07-01", "status": "implemented", "progress": 100, "note": "Done."},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["author"] == "programme-lead"
    tracked.refresh_from_db()
    assert (tracked.status, tracked.progress) == ("implemented", 100)
    assert tracked.last_reviewed_on == date(2026, 7, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "finished-ish"}, "status"),
        ({"status": "accepted", "progress": 150}, "progress"),
        ({"status": "accepted", "date": "yesterday"}, "date"),
    ],
)
def test_a_bad_update_is_a_400_naming_the_field_and_saves_nothing(
    programme_lead, tracked, body, field
):
    before = ProgressUpdate.objects.count()

    response = programme_lead.post(UPDATES, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ProgressUpdate.objects.count() == before


def test_recording_progress_needs_a_permission(api, reader, editor, tracked):
    body = {"status": "implemented"}

    assert api.post(UPDATES, body, format="json").status_code == 401
    assert reader.post(UPDATES, body, format="json").status_code == 403
    assert editor.post(UPDATES, body, format="json").status_code == 403
    assert ProgressUpdate.objects.count() == 2


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/recommendations/withdrawn/?since=2026-04-30T03:02:16-16:50",
        "/api/v1/recommendations/?updated_since=2026-04-30T03:02:16%2B15:30",
        "/api/v1/recommendations/?updated_since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/recommendations/?updated_since=9999-12-31T23:59:59-14:00",
    ],
)
def test_a_moment_the_database_cannot_compare_is_a_400(api, path):
    response = api.get(path)

    assert response.status_code == 400
    assert "updated_since" in response.json() or "since" in response.json()


def test_the_public_is_not_told_that_unpublished_changes_exist(api, reader, tracked):
    tracked.pending_changes, tracked.pending_state = {"fields": {}, "links": {}}, "in_review"
    tracked.save()

    assert api.get("/api/v1/recommendations/GOV-1/").json()["pending_state"] is None
    assert reader.get("/api/v1/recommendations/GOV-1/").json()["pending_state"] == "in_review"
