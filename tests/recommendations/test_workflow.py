import json
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from recommendations import services
from recommendations.models import PendingState, PublicationState, Recommendation
from recommendations.preview import preview_token
from tests.factories import ExampleFactory, RecommendationFactory, ThemeFactory, UserFactory

pytestmark = pytest.mark.django_db


def member_of(group_name, username=None):
    user = UserFactory(username=username or group_name.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor():
    return member_of("Editors")


@pytest.fixture
def publisher():
    return member_of("Publishers")


@pytest.fixture
def viewer():
    return member_of("Viewers")


def change_url(item):
    return reverse(f"admin:recommendations_{item._meta.model_name}_change", args=[item.pk])


def form_data(recommendation, **changes):
    """What the admin change form posts for a recommendation, with some fields changed."""
    data = {
        "report": recommendation.report_id,
        "area": recommendation.area_id,
        "title": recommendation.title,
        "slug": recommendation.slug,
        "summary": recommendation.summary,
        "rationale": recommendation.rationale,
        "source_section": recommendation.source_section,
        "themes": [theme.pk for theme in recommendation.themes.all()],
        "related": [],
        "examples": [],
        "sources": [],
        "priority": recommendation.priority,
        "horizon": recommendation.horizon,
        "impact": recommendation.impact,
        "effort": recommendation.effort,
        "evidence": recommendation.evidence,
        "status": recommendation.status,
        # the progress updates inline, left empty
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


# Roles


def test_the_three_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Editors",
        "Publishers",
        "Viewers",
    }


def test_an_editor_creates_a_draft_but_cannot_publish_it(client, editor):
    client.force_login(editor)
    recommendation = RecommendationFactory(draft=True)

    response = client.post(
        change_url(recommendation), form_data(recommendation, title="Edited", _publish="1")
    )

    recommendation.refresh_from_db()
    assert response.status_code == 302
    assert recommendation.title == "Edited"
    assert recommendation.publication_state == PublicationState.DRAFT
    with pytest.raises(PermissionDenied):
        services.item_publish(item=recommendation, by=editor)


def test_an_editor_sends_a_draft_for_review(client, editor):
    client.force_login(editor)
    recommendation = RecommendationFactory(draft=True)

    client.post(change_url(recommendation), form_data(recommendation, _submit="1"))

    recommendation.refresh_from_db()
    assert recommendation.publication_state == PublicationState.IN_REVIEW


def test_an_editor_has_no_publish_or_delete_actions(client, editor):
    client.force_login(editor)
    RecommendationFactory(draft=True)

    response = client.get(reverse("admin:recommendations_recommendation_changelist"))

    actions = [choice[0] for choice in response.context["action_form"].fields["action"].choices]
    assert "submit_selected" in actions
    assert "publish_selected" not in actions
    assert "delete_selected" not in actions


def test_a_publisher_publishes_a_recommendation_in_review(client, publisher):
    client.force_login(publisher)
    recommendation = RecommendationFactory(draft=True)
    recommendation.publication_state = PublicationState.IN_REVIEW
    recommendation.save()

    response = client.post(change_url(recommendation), form_data(recommendation, _publish="1"))

    recommendation.refresh_from_db()
    assert response.status_code == 302
    assert recommendation.is_published
    assert client.get(recommendation.get_absolute_url()).status_code == 200


def test_a_viewer_reads_drafts_in_the_admin_but_changes_nothing(client, viewer):
    client.force_login(viewer)
    recommendation = RecommendationFactory(draft=True, title="Draft title")

    assert client.get(change_url(recommendation)).status_code == 200
    response = client.post(change_url(recommendation), form_data(recommendation, title="Nope"))

    assert response.status_code == 403
    recommendation.refresh_from_db()
    assert recommendation.title == "Draft title"
    assert client.get(reverse("admin:recommendations_recommendation_add")).status_code == 403


# States


def test_transitions_follow_draft_review_published_archived():
    publisher = UserFactory(is_superuser=True)
    item = RecommendationFactory(draft=True)

    services.item_submit_for_review(item=item, by=publisher)
    assert item.publication_state == PublicationState.IN_REVIEW
    services.item_reject(item=item, by=publisher)
    assert item.publication_state == PublicationState.DRAFT
    services.item_publish(item=item, by=publisher)
    assert item.is_published
    services.item_archive(item=item, by=publisher)
    assert item.publication_state == PublicationState.ARCHIVED
    assert not Recommendation.objects.published().filter(pk=item.pk).exists()


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (PublicationState.PUBLISHED, services.item_submit_for_review),
        (PublicationState.PUBLISHED, services.item_publish),
        (PublicationState.DRAFT, services.item_reject),
        (PublicationState.DRAFT, services.item_unpublish),
        (PublicationState.ARCHIVED, services.item_archive),
    ],
)
def test_steps_that_make_no_sense_from_a_state_are_refused(state, step):
    item = RecommendationFactory(publication_state=state)
    before = Recommendation.objects.filter(pk=item.pk).values().get()

    with pytest.raises(services.TransitionRefused):
        step(item=item, by=UserFactory(is_superuser=True))

    assert Recommendation.objects.filter(pk=item.pk).values().get() == before


def test_a_refused_step_in_the_admin_says_why_and_changes_nothing(admin_client):
    recommendation = RecommendationFactory()

    response = admin_client.post(
        change_url(recommendation), form_data(recommendation, _reject="1"), follow=True
    )

    assert "not done" in response.text
    recommendation.refresh_from_db()
    assert recommendation.is_published


# Scheduling


def test_a_scheduled_item_is_invisible_before_its_time_and_visible_after(client, publisher):
    recommendation = RecommendationFactory(draft=True)
    at = timezone.now() + timedelta(hours=2)

    services.item_publish(item=recommendation, by=publisher, at=at)

    assert recommendation.is_scheduled
    assert client.get(recommendation.get_absolute_url()).status_code == 404
    assert not Recommendation.objects.published().exists()
    later = at + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert Recommendation.objects.published().get() == recommendation
        assert client.get(recommendation.get_absolute_url()).status_code == 200


def test_a_publisher_schedules_from_the_admin_form(client, publisher):
    client.force_login(publisher)
    recommendation = RecommendationFactory(draft=True)
    at = timezone.localtime(timezone.now() + timedelta(days=3)).replace(microsecond=0)

    client.post(
        change_url(recommendation),
        form_data(
            recommendation,
            published_at_0=at.strftime("%d/%m/%Y"),
            published_at_1=at.strftime("%H:%M:%S"),
            _publish="1",
        ),
    )

    recommendation.refresh_from_db()
    assert recommendation.published_at == at
    assert recommendation.is_scheduled
    home = client.get(reverse("admin:index"))
    assert recommendation in [item for item, _ in home.context["scheduled"]]


# Published items keep their public version while changes are drafted


def test_editing_a_published_item_leaves_the_public_version_until_published(
    client, editor, publisher
):
    recommendation = RecommendationFactory(title="Public title", rationale="Public reasons.")
    client.force_login(editor)

    client.post(
        change_url(recommendation),
        form_data(recommendation, title="Next title", rationale="Next **reasons**."),
    )

    recommendation.refresh_from_db()
    assert recommendation.title == "Public title"
    assert recommendation.pending_state == PendingState.DRAFT
    client.logout()
    public = client.get(recommendation.get_absolute_url())
    assert "Public title" in public.text and "Next title" not in public.text

    client.force_login(editor)
    form = client.get(change_url(recommendation))
    assert form.context["adminform"].form.initial["title"] == "Next title"
    client.post(
        change_url(recommendation),
        form_data(recommendation, title="Next title", rationale="Next **reasons**.", _submit="1"),
    )
    recommendation.refresh_from_db()
    assert recommendation.pending_state == PendingState.IN_REVIEW
    assert recommendation in Recommendation.objects.awaiting_review()

    services.item_publish(item=recommendation, by=publisher)
    recommendation.refresh_from_db()
    assert recommendation.title == "Next title"
    assert "<strong>reasons</strong>" in recommendation.rationale_html
    assert recommendation.pending_changes is None
    client.logout()
    assert "Next title" in client.get(recommendation.get_absolute_url()).text


def test_pending_link_changes_wait_too(client, editor, publisher):
    example = ExampleFactory()
    recommendation = RecommendationFactory()
    client.force_login(editor)

    client.post(change_url(recommendation), form_data(recommendation, examples=[example.pk]))

    assert not recommendation.examples.exists()
    recommendation.refresh_from_db()
    services.item_publish(item=recommendation, by=publisher)
    assert list(recommendation.examples.all()) == [example]


# Preview


def test_the_admin_preview_shows_the_draft_with_a_banner(admin_client):
    recommendation = RecommendationFactory(draft=True, title="Draft idea")

    response = admin_client.get(
        reverse("admin:recommendations_recommendation_preview", args=[recommendation.pk])
    )

    assert response.status_code == 200
    assert "Preview: not published" in response.text
    assert "Draft idea" in response.text
    assert "no-cache" in response["Cache-Control"]


def test_the_preview_shows_pending_changes_of_a_published_item(admin_client, editor):
    recommendation = RecommendationFactory(title="Live")
    edited = Recommendation.objects.get(pk=recommendation.pk)
    edited.title = "Coming soon"
    services.item_stage_changes(item=recommendation, edited=edited, links={}, by=editor)

    response = admin_client.get(
        reverse("admin:recommendations_recommendation_preview", args=[recommendation.pk])
    )

    assert "Coming soon" in response.text


def test_a_shared_preview_link_works_without_an_account(client):
    recommendation = RecommendationFactory(draft=True, title="Shared draft")

    response = client.get(reverse("recommendations:preview", args=[preview_token(recommendation)]))

    assert response.status_code == 200
    assert "Shared draft" in response.text
    assert "noindex" in response["X-Robots-Tag"]


def test_a_tampered_preview_link_is_refused(client):
    recommendation = RecommendationFactory(draft=True)
    other = RecommendationFactory(draft=True, title="Other draft")
    payload, timestamp, signature = preview_token(recommendation).split(":")
    forged = signing.b64_encode(json.dumps(["recommendation", other.pk]).encode()).decode()

    for token in [f"{forged}:{timestamp}:{signature}", f"{payload}:{timestamp}:{signature}x"]:
        response = client.get(reverse("recommendations:preview", args=[token]))

        assert response.status_code == 404
        assert "Other draft" not in response.text


def test_an_expired_preview_link_says_so(client, settings):
    recommendation = RecommendationFactory(draft=True, title="Old draft")
    token = preview_token(recommendation)
    settings.PORTAL_PREVIEW_LINK_MAX_AGE = -1

    response = client.get(reverse("recommendations:preview", args=[token]))

    assert response.status_code == 410
    assert "expired" in response.text
    assert "Old draft" not in response.text


# History


def test_every_change_is_kept_with_who_and_when(admin_client, superuser):
    recommendation = RecommendationFactory(draft=True, title="First")

    admin_client.post(change_url(recommendation), form_data(recommendation, title="Second"))

    history = recommendation.history.order_by("history_date")
    assert [record.title for record in history] == ["First", "Second"]
    assert history.last().history_user == superuser


def test_the_admin_compares_two_versions_field_by_field(admin_client):
    recommendation = RecommendationFactory(draft=True, title="First", summary="Same")
    admin_client.post(change_url(recommendation), form_data(recommendation, title="Second"))
    older, newer = recommendation.history.order_by("history_date")

    response = admin_client.get(
        reverse("admin:recommendations_recommendation_history_compare", args=[recommendation.pk]),
        {"from": older.pk, "to": newer.pk},
    )

    assert response.status_code == 200
    changed = {
        change["label"]: (change["old"], change["new"]) for change in response.context["changes"]
    }
    assert changed == {"title": ("First", "Second")}


def test_reverting_restores_an_earlier_version(admin_client):
    recommendation = RecommendationFactory(draft=True, title="Good title")
    admin_client.post(change_url(recommendation), form_data(recommendation, title="Mistake"))
    good = recommendation.history.order_by("history_date").first()

    response = admin_client.post(
        reverse(
            "admin:recommendations_recommendation_simple_history",
            args=[recommendation.pk, good.pk],
        ),
        form_data(recommendation, title="Good title"),
    )

    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.title == "Good title"
    assert recommendation.history.count() == 3


def test_the_admin_home_lists_items_awaiting_review_and_latest_changes(admin_client):
    waiting = RecommendationFactory(draft=True, title="Please review me")
    waiting.publication_state = PublicationState.IN_REVIEW
    waiting.save()

    response = admin_client.get(reverse("admin:index"))

    assert "Please review me" in response.text
    assert waiting in [item for item, _ in response.context["awaiting_review"]]
    assert response.context["latest_changes"]


# Password guessing


def test_repeated_failed_logins_lock_the_account_with_a_clear_message(client, settings):
    UserFactory(username="editor-anne", is_staff=True)
    login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "editor-anne", "password": "wrong"})

    response = client.post(
        login, {"username": "editor-anne", "password": "correct horse battery staple"}
    )

    assert response.status_code in {403, 429}
    assert "Too many failed logins" in response.text
    assert "_auth_user_id" not in client.session


def test_unpublishing_from_the_form_leaves_no_stray_changes(admin_client):
    recommendation = RecommendationFactory(title="Live")

    admin_client.post(
        change_url(recommendation), form_data(recommendation, title="Typed", _unpublish="1")
    )

    recommendation.refresh_from_db()
    assert recommendation.publication_state == PublicationState.DRAFT
    assert recommendation.title == "Live"
    assert recommendation.pending_changes is None


def test_saving_a_published_item_unchanged_stages_nothing(admin_client):
    recommendation = RecommendationFactory()

    admin_client.post(change_url(recommendation), form_data(recommendation))

    recommendation.refresh_from_db()
    assert recommendation.pending_changes is None


def test_examples_follow_the_same_workflow(client, editor, publisher):
    example = ExampleFactory(publication_state=PublicationState.DRAFT, title="Draft case")
    services.item_submit_for_review(item=example, by=editor)
    with pytest.raises(PermissionDenied):
        services.item_publish(item=example, by=editor)

    services.item_publish(item=example, by=publisher)

    assert client.get(example.get_absolute_url()).status_code == 200


def test_an_editor_reverting_a_published_item_changes_nothing_public(client, editor):
    theme_a, theme_b = ThemeFactory(slug="first-theme"), ThemeFactory(slug="second-theme")
    recommendation = RecommendationFactory(draft=True, title="Old words", themes=[theme_a])
    old_version = recommendation.history.order_by("history_date").last()
    recommendation.title = "Live words"
    recommendation.publication_state = PublicationState.PUBLISHED
    recommendation.save()
    recommendation.themes.set([theme_b])
    client.force_login(editor)

    response = client.post(
        reverse(
            "admin:recommendations_recommendation_simple_history",
            args=[recommendation.pk, old_version.pk],
        ),
        form_data(recommendation, title="Old words", themes=[theme_a.pk]),
    )

    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.is_published  # the old version's draft state did not come back
    assert recommendation.title == "Live words"
    assert list(recommendation.themes.all()) == [theme_b]
    assert recommendation.pending_changes["fields"]["title"] == "Old words"
    assert recommendation.pending_changes["links"]["themes"] == [theme_a.pk]


def test_drafting_changes_to_a_published_item_does_not_touch_its_public_record(client, editor):
    recommendation = RecommendationFactory(title="Live")
    before = Recommendation.objects.get(pk=recommendation.pk).updated_at
    client.force_login(editor)

    client.post(change_url(recommendation), form_data(recommendation, title="Next"))

    recommendation.refresh_from_db()
    assert recommendation.pending_changes["fields"]["title"] == "Next"
    assert recommendation.updated_at == before  # syncing clients and feeds see no change
