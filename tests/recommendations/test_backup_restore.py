import gzip
import importlib
import io
import json
import stat
from datetime import date

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from rest_framework.authtoken.models import Token

from areas.models import Area
from recommendations import services
from recommendations.management.commands import backup_content
from recommendations.models import (
    IssuedReference,
    ProgressUpdate,
    PublicChange,
    Recommendation,
)
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ThemeFactory,
    TokenFactory,
    UserFactory,
)

# Restoring needs an empty database, so these tests empty theirs (flush) and commit;
# serialized_rollback puts back what the migrations made for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


def back_up(path):
    output = io.StringIO()
    call_command("backup_content", str(path), stdout=output)
    return output.getvalue()


def restore(path):
    output = io.StringIO()
    call_command("restore_content", str(path), stdout=output)
    return output.getvalue()


def text_of(path):
    raw = path.read_bytes()
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()


def row_counts():
    return {
        model._meta.label_lower: model._base_manager.count()
        for model, _natural in backup_content.backup_models()
    }


def start_afresh():
    """Make the database what a new one is after `migrate`: flush empties every table and
    sends post_migrate (permissions and the editorial groups); the six areas come from their
    data migration, run with the migration's own models as migrate runs it."""
    call_command("flush", interactive=False, verbosity=0)
    the_six_areas = importlib.import_module("areas.migrations.0002_the_six_areas")
    state = MigrationLoader(connection).project_state(("areas", "0002_the_six_areas"))
    the_six_areas.create_areas(state.apps, None)


def build_content():
    """Users, groups, history, links, progress, pending changes, withdrawals and a deletion,
    made the way editors make them: through the services."""
    publisher = UserFactory(username="publisher", is_staff=True, email="lead@example.org")
    publisher.groups.add(Group.objects.get(name="Publishers"))
    editor = UserFactory(
        username="editor", is_staff=True, permissions=["recommendations.view_issuedreference"]
    )
    editor.groups.add(Group.objects.get(name="Editors"))

    governance = Area.objects.get(slug="governance")
    governance.summary = "Rewritten by the publisher."
    governance._history_user = publisher
    governance.save()

    themes = [ThemeFactory(name="Citizen-focused"), ThemeFactory(name="Digital")]
    example = ExampleFactory()
    references = ReferenceFactory.create_batch(2)
    first = RecommendationFactory(
        draft=True,
        title="Open data for every council service",
        themes=themes,
        owner=editor,
        target_date=date(2027, 3, 31),
    )
    first.examples.add(example)
    first.sources.set(references)
    second = RecommendationFactory(draft=True, area=Area.objects.get(slug="technology"))
    first.related.add(second)
    for item in (first, second):
        item._history_user = editor
        services.item_submit_for_review(item=item, by=editor)
        item._history_user = publisher
        services.item_publish(item=item, by=publisher)

    edited = Recommendation.objects.get(pk=first.pk)
    edited.title = "A better title, waiting for review"
    services.item_stage_changes(item=first, edited=edited, links={"themes": themes[:1]}, by=editor)

    services.progress_update_save(
        update=ProgressUpdate(
            recommendation=first,
            date=date(2026, 5, 1),
            status=Recommendation.Status.IN_PROGRESS,
            progress=40,
            note="Work **started** in May.",
        ),
        by=publisher,
    )
    services.progress_update_save(
        update=ProgressUpdate(
            recommendation=first,
            date=date(2026, 6, 1),
            status=Recommendation.Status.IN_PROGRESS,
            note="Internal: budget agreed.",
            is_public=False,
        ),
        by=publisher,
    )

    services.item_archive(item=RecommendationFactory(), by=publisher)
    RecommendationFactory().delete()

    LogEntry.objects.create(
        user=publisher,
        content_type=ContentType.objects.get_for_model(Recommendation),
        object_id=str(first.pk),
        object_repr=str(first),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Title"]}}]',
    )

    # Left out of a backup: API tokens, sessions and login attempts.
    TokenFactory(user=editor)
    session = SessionStore()
    session["note"] = "a logged-in editor"
    session.create()
    AccessAttempt.objects.create(
        username="editor",
        ip_address="127.0.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/admin/login/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    return first, second


def test_a_restored_backup_backs_up_to_the_same_file_byte_for_byte(tmp_path):
    first, second = build_content()
    first.refresh_from_db()
    before = row_counts()
    backup = tmp_path / "portal.jsonl"

    summary = back_up(backup)

    assert "recommendations.recommendation: 3\n" in summary  # the fourth was deleted
    history = before["recommendations.historicalrecommendation"]
    assert f"recommendations.historicalrecommendation: {history}\n" in summary
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds password hashes
    token = Token.objects.get().key
    assert token not in backup.read_text()
    assert '"model": "sessions.session"' not in backup.read_text()
    assert '"model": "axes.' not in backup.read_text()
    assert '"search_document":' not in backup.read_text()  # the database derives it

    start_afresh()
    restore(backup)
    again = tmp_path / "again.jsonl"
    back_up(again)

    assert again.read_bytes() == backup.read_bytes()
    assert row_counts() == before  # no history or public changes were added on the way
    assert not Token.objects.exists()
    assert not Session.objects.exists()
    assert not AccessAttempt.objects.exists()

    restored = Recommendation.objects.get(pk=first.pk)
    assert restored.reference == first.reference
    assert restored.updated_at == first.updated_at  # to the microsecond
    assert restored.pending_changes == first.pending_changes
    assert restored.owner.username == "editor"
    assert set(restored.themes.values_list("name", flat=True)) == {"Citizen-focused", "Digital"}
    assert list(restored.related.all()) == [Recommendation.objects.get(pk=second.pk)]
    assert list(Recommendation.objects.get(pk=second.pk).related.all()) == [restored]
    assert restored.examples.count() == 1
    assert restored.sources.count() == 2
    assert list(Recommendation.objects.matching("open data")) == [restored]

    published = restored.history.filter(history_type="~", publication_state="published")
    assert published.earliest("history_date").history_user.username == "publisher"
    submitted = restored.history.filter(publication_state="in_review").get()
    assert submitted.history_user.username == "editor"
    assert Area.objects.get(slug="governance").history.latest().history_user.username == (
        "publisher"
    )

    progress = restored.updates.get(is_public=True)
    assert (progress.progress, progress.author.username) == (40, "publisher")
    assert progress.note_html == "<p>Work <strong>started</strong> in May.</p>\n"
    assert PublicChange.objects.filter(update=progress, kind="progress").exists()
    assert restored.last_reviewed_on == date(2026, 6, 1)

    publisher = get_user_model().objects.get(username="publisher")
    assert publisher.check_password(PASSWORD)
    assert publisher.has_perm("recommendations.publish_recommendation")
    editor = get_user_model().objects.get(username="editor")
    assert editor.has_perm("recommendations.view_issuedreference")
    assert LogEntry.objects.get().content_type.model == "recommendation"
    assert IssuedReference.objects.filter(withdrawn_at__isnull=False).count() == 2


def test_a_gzip_backup_restores_and_new_rows_get_new_ids(tmp_path):
    first, _second = build_content()
    backup = tmp_path / "portal.jsonl.gz"

    back_up(backup)
    start_afresh()
    summary = restore(backup)
    again = tmp_path / "again.jsonl.gz"
    back_up(again)

    assert backup.read_bytes()[:2] == b"\x1f\x8b"
    assert text_of(again) == text_of(backup)
    assert "recommendations.recommendation: 3\n" in summary
    publisher = get_user_model().objects.get(username="publisher")
    newest = Recommendation.objects.order_by("pk").last()
    new = RecommendationFactory(draft=True, themes=[first.themes.first()])
    services.item_submit_for_review(item=new, by=publisher)
    services.item_publish(item=new, by=publisher)
    assert new.pk > newest.pk
    assert new.reference == "GOV-4"  # GOV-3 was deleted: its reference is never reused
    assert PublicChange.objects.filter(recommendation=new, kind="published").exists()
    assert Area.objects.create(name="Finance", slug="finance", code="FIN").pk > 6
    assert UserFactory(username="newcomer").pk > publisher.pk


def test_restoring_into_a_database_with_content_is_refused_and_changes_nothing(tmp_path):
    build_content()
    backup = tmp_path / "portal.jsonl"
    back_up(backup)

    with pytest.raises(CommandError, match="already holds content"):
        restore(backup)

    after = tmp_path / "after.jsonl"
    back_up(after)
    assert after.read_bytes() == backup.read_bytes()


def test_restoring_into_a_new_database_with_one_user_is_refused(tmp_path):
    build_content()
    backup = tmp_path / "portal.jsonl"
    back_up(backup)
    start_afresh()
    UserFactory(username="admin")

    with pytest.raises(CommandError, match=r"already holds content.*auth\.user: 1"):
        restore(backup)

    assert list(get_user_model().objects.values_list("username", flat=True)) == ["admin"]
    assert not Recommendation.objects.exists()


def cut_at_a_line_end(lines):
    return lines[:-2]


def cut_mid_line(lines):
    text = "".join(lines)
    return [text[: len(text) // 2]]


def garble_a_line(lines):
    return [*lines[:-4], "{not json\n", *lines[-3:]]


def point_a_recommendation_at_a_missing_report(lines):
    def damage(line):
        row = json.loads(line)
        if row.get("model") == "recommendations.recommendation":
            row["fields"]["report"] = 999999
        return json.dumps(row) + "\n"

    return [damage(line) for line in lines]


def require_a_newer_migration(lines):
    header = json.loads(lines[0])
    header["migrations"]["recommendations"].append("9999_from_the_future")
    return [json.dumps(header) + "\n", *lines[1:]]


def come_from_an_older_version(lines):
    header = json.loads(lines[0])
    header["migrations"]["recommendations"].pop()
    return [json.dumps(header) + "\n", *lines[1:]]


def add_a_session(lines):
    session = {"model": "sessions.session", "pk": "x", "fields": {"session_data": ""}}
    return [lines[0], json.dumps(session) + "\n", *lines[1:]]


def not_a_backup(lines):
    return ["[]\n"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (cut_at_a_line_end, "ends before the end of the backup"),
        (cut_mid_line, "not valid JSON"),
        (garble_a_line, "not valid JSON"),
        (point_a_recommendation_at_a_missing_report, "Nothing was restored"),
        (require_a_newer_migration, "9999_from_the_future"),
        (come_from_an_older_version, "made by an older version"),
        (add_a_session, "a row of sessions.session"),
        (not_a_backup, "not a backup made by backup_content"),
    ],
)
def test_a_damaged_backup_is_refused_and_restores_nothing(tmp_path, damage, message):
    build_content()
    backup = tmp_path / "portal.jsonl"
    back_up(backup)
    lines = backup.read_text().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("".join(damage(lines)))
    start_afresh()
    fresh = tmp_path / "fresh.jsonl"
    back_up(fresh)

    with pytest.raises(CommandError, match=message):
        restore(damaged)

    after = tmp_path / "after.jsonl"
    back_up(after)
    assert after.read_bytes() == fresh.read_bytes()  # still the six areas and three groups
    assert Area.objects.count() == 6
    assert Group.objects.get(name="Publishers").permissions.exists()


def test_a_truncated_gzip_backup_is_refused_and_restores_nothing(tmp_path):
    build_content()
    backup = tmp_path / "portal.jsonl.gz"
    back_up(backup)
    damaged = tmp_path / "damaged.jsonl.gz"
    damaged.write_bytes(backup.read_bytes()[:-100])
    start_afresh()

    with pytest.raises(CommandError, match="Nothing was restored"):
        restore(damaged)

    assert not get_user_model().objects.exists()
    assert not Area.history.exists()
    assert Area.objects.count() == 6


def test_a_backup_that_fails_half_way_leaves_the_earlier_file_as_it_was(tmp_path, monkeypatch):
    build_content()
    backup = tmp_path / "portal.jsonl"
    back_up(backup)
    earlier = backup.read_bytes()
    real_rows_of = backup_content.rows_of

    def rows_then_a_failure(model, natural):
        if model is Recommendation:
            raise OSError("No space left on device")
        return real_rows_of(model, natural)

    monkeypatch.setattr(backup_content, "rows_of", rows_then_a_failure)

    with pytest.raises(OSError, match="No space left"):
        back_up(backup)

    assert backup.read_bytes() == earlier
    assert [path.name for path in tmp_path.iterdir()] == ["portal.jsonl"]
