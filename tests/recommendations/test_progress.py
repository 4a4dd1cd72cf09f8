from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from recommendations import services
from recommendations.models import ProgressUpdate, PublicChange, Recommendation
from tests.factories import RecommendationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return UserFactory(username="programme-lead", is_staff=True, is_superuser=True)


def record(recommendation, by, **fields):
    update = ProgressUpdate(recommendation=recommendation, **fields)
    return services.progress_update_save(update=update, by=by)


def test_status_progress_and_last_review_follow_the_latest_update(lead):
    recommendation = RecommendationFactory(status="proposed")
    record(recommendation, lead, date=date(2026, 3, 1), status="accepted", progress=10)
    record(recommendation, lead, date=date(2026, 6, 1), status="in_progress")
    record(recommendation, lead, date=date(2026, 1, 1), status="under_consideration")

    recommendation.refresh_from_db()
    assert recommendation.status == "in_progress"
    assert recommendation.last_reviewed_on == date(2026, 6, 1)
    assert recommendation.progress == 10  # the latest update that gives a figure


def test_deleting_the_latest_update_falls_back_to_the_one_before(lead):
    recommendation = RecommendationFactory()
    record(recommendation, lead, date=date(2026, 3, 1), status="accepted", progress=20)
    latest = record(recommendation, lead, date=date(2026, 6, 1), status="implemented", progress=100)

    services.progress_update_delete(update=latest, by=lead)

    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.progress) == ("accepted", 20)
    assert recommendation.last_reviewed_on == date(2026, 3, 1)


def test_a_public_update_on_a_public_item_is_announced_and_an_internal_one_is_not(lead):
    recommendation = RecommendationFactory()

    record(recommendation, lead, status="accepted", note="Agreed by committee.")
    record(recommendation, lead, status="accepted", note="Budget tight.", is_public=False)

    changes = PublicChange.objects.filter(kind=PublicChange.Kind.PROGRESS)
    assert changes.count() == 1
    assert changes.get().description == "Accepted"


def test_an_update_to_a_draft_is_not_announced(lead):
    record(RecommendationFactory(draft=True), lead, status="accepted")

    assert not PublicChange.objects.exists()


def test_the_author_is_whoever_recorded_the_update(lead):
    update = record(RecommendationFactory(), lead, status="accepted")

    assert update.author == lead


def test_needs_review_and_overdue_lists(settings):
    settings.PORTAL_REVIEW_AFTER_DAYS = 30
    today = timezone.localdate()
    fresh = RecommendationFactory(target_date=today + timedelta(days=10))
    Recommendation.objects.filter(pk=fresh.pk).update(last_reviewed_on=today)
    stale = RecommendationFactory(target_date=today - timedelta(days=1), status="in_progress")
    Recommendation.objects.filter(pk=stale.pk).update(last_reviewed_on=today - timedelta(days=31))
    done = RecommendationFactory(target_date=today - timedelta(days=5), status="implemented")

    assert set(Recommendation.objects.needs_review()) == {stale, done}
    assert list(Recommendation.objects.overdue()) == [stale]


def test_progress_is_recorded_inline_on_the_recommendation_page(admin_client, superuser):
    recommendation = RecommendationFactory(title="Live")
    url = reverse("admin:recommendations_recommendation_change", args=[recommendation.pk])
    page = admin_client.get(url)
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if key not in {"themes", "related", "examples", "sources", "owner", "target_date"}
    }
    data.update(
        {
            "report": recommendation.report_id,
            "area": recommendation.area_id,
            "updates-TOTAL_FORMS": "1",
            "updates-INITIAL_FORMS": "0",
            "updates-0-date": "01/11/2026",
            "updates-0-status": "in_progress",
            "updates-0-progress": "40",
            "updates-0-note": "Pilot started in two districts.",
            "updates-0-is_public": "on",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.progress) == ("in_progress", 40)
    assert recommendation.updates.get().author == superuser
    assert recommendation.pending_changes is None  # recording progress is not an edit


def test_the_admin_home_puts_the_owners_items_first(admin_client, superuser):
    today = timezone.localdate()
    RecommendationFactory(title="Someone else's", target_date=today - timedelta(days=9))
    RecommendationFactory(title="Mine", target_date=today - timedelta(days=1), owner=superuser)

    response = admin_client.get(reverse("admin:index"))

    overdue = [item.title for item, _ in response.context["overdue"]]
    assert overdue == ["Mine", "Someone else's"]


def test_an_internal_note_counts_as_a_review_but_sets_no_public_status(lead):
    recommendation = RecommendationFactory()
    record(recommendation, lead, date=date(2026, 3, 1), status="accepted", progress=20)
    record(
        recommendation,
        lead,
        date=date(2026, 4, 1),
        status="not_taken_forward",
        progress=0,
        is_public=False,
    )

    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.progress) == ("accepted", 20)
    assert recommendation.last_reviewed_on == date(2026, 4, 1)


def test_only_publishers_record_progress():
    editor = UserFactory(username="an-editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    publisher = UserFactory(username="a-publisher", is_staff=True)
    publisher.groups.add(Group.objects.get(name="Publishers"))
    recommendation = RecommendationFactory()

    with pytest.raises(PermissionDenied):
        record(recommendation, editor, status="implemented")
    record(recommendation, publisher, status="implemented")

    recommendation.refresh_from_db()
    assert recommendation.status == "implemented"
