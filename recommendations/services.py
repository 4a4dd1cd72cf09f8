"""The editorial workflow: the writes that change what the public sees.

draft -> in review -> published -> archived. Editors write drafts and send them for review;
only publishers (the `publish_<model>` permission) publish, unpublish, archive and schedule.
Edits to a published item wait as pending changes until a publisher publishes them.
"""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import (
    PendingState,
    ProgressUpdate,
    PublicationState,
    PublicChange,
    Publishable,
    Recommendation,
)


class TransitionRefused(ValidationError):
    """The item is not in a state from which that step can be taken."""


def can_publish(user, item_or_model) -> bool:
    """Whether the user may publish, unpublish, archive and schedule this kind of item."""
    opts = item_or_model._meta
    return user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")


def can_edit(user, item_or_model) -> bool:
    opts = item_or_model._meta
    return user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


def can_record_progress(user) -> bool:
    """Whether the user may record progress updates (publishers: the programme lead)."""
    return user.has_perm("recommendations.add_progressupdate")


def _require(allowed: bool, message: str):
    if not allowed:
        raise PermissionDenied(message)


def item_stage_changes(*, item: Publishable, edited: Publishable, links: dict, by) -> None:
    """Keep an edit of a published item as its pending changes; the public copy stays as is.

    `edited` is a copy of the item carrying the new field values (as an admin form builds
    it); `links` maps each many-to-many field's name to the chosen objects or their ids. Only
    what differs from the published version is kept. Internal fields (owner, target date)
    are not public, so they change at once.
    """
    _require(can_edit(by, item), "You do not have permission to change this item.")
    internal = getattr(item, "INTERNAL_FIELDS", ())
    values = {}
    for field in item._meta.concrete_fields:
        if not field.editable or field.primary_key or field.name in WORKFLOW_FIELDS:
            continue
        new, old = field.value_from_object(edited), field.value_from_object(item)
        if field.name in internal:
            setattr(item, field.attname, new)
        elif new != old:
            values[field.name] = new
    changed_links = {}
    for name, chosen in links.items():
        ids = sorted(getattr(choice, "pk", choice) for choice in chosen)
        if ids != sorted(getattr(item, name).values_list("pk", flat=True)):
            changed_links[name] = ids
    if values or changed_links:
        item.pending_changes = json.loads(
            json.dumps({"fields": values, "links": changed_links}, cls=DjangoJSONEncoder)
        )
        item.pending_state = PendingState.DRAFT
    else:  # edited back to the published version: nothing is pending any more
        item.pending_changes, item.pending_state = None, PendingState.NONE
    # Not `updated_at`: what the public sees has not changed, so syncs and feeds ignore it.
    item.save(update_fields=["pending_changes", "pending_state", *internal])


# Fields the workflow owns: never copied from pending changes onto the public row.
WORKFLOW_FIELDS = {"publication_state", "published_at", "pending_changes", "pending_state"}


def item_submit_for_review(*, item: Publishable, by) -> None:
    """Send a draft, or a published item's pending changes, to the publishers for review."""
    _require(can_edit(by, item), "You do not have permission to change this item.")
    if item.publication_state == PublicationState.DRAFT:
        item.publication_state = PublicationState.IN_REVIEW
    elif item.pending_state == PendingState.DRAFT:
        item.pending_state = PendingState.IN_REVIEW
    else:
        raise TransitionRefused(
            f"“{item}” is {item.workflow_label.lower()}: only a draft can be sent for review."
        )
    item.save()


def item_reject(*, item: Publishable, by) -> None:
    """Send an item, or a published item's changes, back from review to draft."""
    _require(can_publish(by, item), "Only publishers can send an item back to draft.")
    if item.publication_state == PublicationState.IN_REVIEW:
        item.publication_state = PublicationState.DRAFT
    elif item.pending_state == PendingState.IN_REVIEW:
        item.pending_state = PendingState.DRAFT
    else:
        raise TransitionRefused(f"“{item}” is not in review.")
    item.save()


@transaction.atomic
def item_publish(*, item: Publishable, by, at=None) -> None:
    """Publish an item (at once, or at a future time `at`), or its pending changes.

    A published item's pending changes go public at once; a time applies to first
    publication and to items brought back from the archive.
    """
    _require(can_publish(by, item), "Only publishers can publish.")
    if item.publication_state == PublicationState.PUBLISHED and not item.pending_changes:
        raise TransitionRefused(f"“{item}” is already published with no changes waiting.")
    was_public = item.is_published
    if item.pending_changes:
        _apply_pending_changes(item)
    if item.publication_state != PublicationState.PUBLISHED:
        item.publication_state = PublicationState.PUBLISHED
        item.published_at = at or timezone.now()
    item.save()
    if was_public:
        public_change_record(item=item, kind=PublicChange.Kind.CHANGED)
    else:
        public_change_record(item=item, kind=PublicChange.Kind.PUBLISHED, at=item.published_at)


def _apply_pending_changes(item: Publishable) -> None:
    staged, links = item.staged()
    for name in item.pending_changes["fields"]:
        field = item._meta.get_field(name)
        setattr(item, field.attname, getattr(staged, field.attname))
    for name, ids in links.items():
        getattr(item, name).set(ids)
    item.pending_changes, item.pending_state = None, PendingState.NONE


def item_unpublish(*, item: Publishable, by) -> None:
    """Take a published or scheduled item off the public site; it becomes a draft again."""
    _require(can_publish(by, item), "Only publishers can unpublish.")
    if item.publication_state != PublicationState.PUBLISHED:
        raise TransitionRefused(f"“{item}” is not published.")
    was_public = item.is_published
    item.publication_state = PublicationState.DRAFT
    item.save()
    _left_the_site(item, PublicChange.Kind.WITHDRAWN, was_public)


def item_archive(*, item: Publishable, by) -> None:
    """Withdraw an item for good: off the public site, kept with its history."""
    _require(can_publish(by, item), "Only publishers can archive.")
    if item.publication_state == PublicationState.ARCHIVED:
        raise TransitionRefused(f"“{item}” is already archived.")
    was_public = item.is_published
    item.publication_state = PublicationState.ARCHIVED
    item.save()
    _left_the_site(item, PublicChange.Kind.ARCHIVED, was_public)


def item_discard_changes(*, item: Publishable, by) -> None:
    """Throw away a published item's pending changes."""
    _require(can_edit(by, item), "You do not have permission to change this item.")
    if not item.pending_changes:
        raise TransitionRefused(f"“{item}” has no unpublished changes.")
    item.pending_changes, item.pending_state = None, PendingState.NONE
    item.save()


def _left_the_site(item, kind, was_public):
    # A scheduled publication that never happened must not surface later in the feeds.
    _changes_of(item).filter(at__gt=timezone.now()).delete()
    if was_public:
        public_change_record(item=item, kind=kind)


def _changes_of(item):
    if isinstance(item, Recommendation):
        return PublicChange.objects.filter(recommendation=item)
    return PublicChange.objects.filter(example=item)


def public_change_record(*, item, kind, at=None, update=None, description="") -> PublicChange:
    """Note something the public saw change, for the changes page and the feeds."""
    title = f"{item.reference} {item.title}" if isinstance(item, Recommendation) else item.title
    return PublicChange.objects.create(
        kind=kind,
        at=at or timezone.now(),
        recommendation=item if isinstance(item, Recommendation) else None,
        example=None if isinstance(item, Recommendation) else item,
        update=update,
        title=title[:300],
        description=description[:500],
    )


@transaction.atomic
def progress_update_save(*, update: ProgressUpdate, by) -> ProgressUpdate:
    """Save a progress update; the recommendation's status, progress and last-reviewed date
    follow from its latest updates, and a public update on a public item is announced."""
    _require(can_record_progress(by), "You do not have permission to record progress.")
    if update.author_id is None:
        update.author = by
    update.save()
    recommendation = recommendation_progress_refresh(recommendation_id=update.recommendation_id)
    PublicChange.objects.filter(update=update).delete()
    if update.is_public and recommendation.is_published:
        progress = f" ({update.progress}%)" if update.progress is not None else ""
        public_change_record(
            item=recommendation,
            kind=PublicChange.Kind.PROGRESS,
            update=update,
            description=f"{update.get_status_display()}{progress}",
        )
    return update


def progress_update_delete(*, update: ProgressUpdate, by) -> None:
    """Delete a progress update and let the recommendation follow its new latest update."""
    _require(
        by.has_perm("recommendations.delete_progressupdate"),
        "You do not have permission to delete progress updates.",
    )
    recommendation_id = update.recommendation_id
    update.delete()
    recommendation_progress_refresh(recommendation_id=recommendation_id)


def recommendation_progress_refresh(*, recommendation_id) -> Recommendation:
    """Bring status, progress and last-reviewed date in line with the progress updates.

    Status and progress are public, so they follow the latest public update; an internal
    note still counts as a review for the last-reviewed date. The row is read afresh, so an
    editor's unpublished edit held in memory never rides along.
    """
    recommendation = Recommendation.objects.get(pk=recommendation_id)
    updates = recommendation.updates.latest_first()
    public = updates.public()
    latest, latest_public = updates.first(), public.first()
    recommendation.last_reviewed_on = latest.date if latest else None
    if latest_public is not None:
        recommendation.status = latest_public.status
    with_figure = public.filter(progress__isnull=False).first()
    recommendation.progress = with_figure.progress if with_figure else None
    recommendation.save(update_fields=["status", "progress", "last_reviewed_on", "updated_at"])
    return recommendation
