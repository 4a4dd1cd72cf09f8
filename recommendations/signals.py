"""What a client that copies the recommendations relies on, recorded however things change.

The admin, the API, the editorial services and bulk deletes all save and delete through the
ORM, so these receivers see every change but a bare `QuerySet.update()`:

- a recommendation that leaves the public site (deleted, unpublished, archived, rescheduled)
  gets `withdrawn_at` on its issued reference, the API's tombstone; it is cleared when the
  recommendation is public again;
- a recommendation whose public links change without it being saved (a linked example goes
  public or private or is deleted, a related recommendation comes or goes, a link is made from
  the other side) is marked as updated, so `updated_since` finds it.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from areas.models import Theme

from .models import Example, IssuedReference, PublicChange, Recommendation, Reference


def recommendations_touch(recommendations):
    """Mark these recommendations as changed now, so an incremental sync fetches them again."""
    recommendations.update(updated_at=timezone.now())


@receiver(pre_save, sender=Recommendation)
@receiver(pre_save, sender=Example)
def note_whether_public(sender, instance, raw=False, **kwargs):
    instance._was_public = (
        not raw
        and instance.pk is not None
        and sender.objects.published().filter(pk=instance.pk).exists()
    )


@receiver(post_save, sender=Recommendation)
def record_withdrawal_or_return(sender, instance, raw=False, **kwargs):
    if raw:
        return
    was_public, is_public = getattr(instance, "_was_public", False), instance.is_published
    issued = IssuedReference.objects.filter(reference=instance.reference)
    if is_public:
        issued.filter(withdrawn_at__isnull=False).update(withdrawn_at=None)
    elif was_public:
        issued.update(withdrawn_at=timezone.now())
    if was_public != is_public:
        recommendations_touch(instance.related.exclude(pk=instance.pk))


@receiver(post_save, sender=Example)
def touch_recommendations_when_an_example_comes_or_goes(sender, instance, raw=False, **kwargs):
    if not raw and getattr(instance, "_was_public", False) != instance.is_published:
        recommendations_touch(instance.recommendations.all())


@receiver(pre_delete, sender=Recommendation)
def touch_related_before_a_deletion(sender, instance, **kwargs):
    recommendations_touch(instance.related.exclude(pk=instance.pk))


@receiver(post_delete, sender=Recommendation)
def record_deletion(sender, instance, **kwargs):
    if instance.is_published:
        IssuedReference.objects.filter(reference=instance.reference).update(
            withdrawn_at=timezone.now()
        )
        # The changes page and feeds say it went; the row it would link to is gone.
        PublicChange.objects.create(
            kind=PublicChange.Kind.WITHDRAWN,
            at=timezone.now(),
            title=f"{instance.reference} {instance.title}"[:300],
            description="Removed from the portal.",
        )


@receiver(pre_delete, sender=Example)
@receiver(pre_delete, sender=Reference)
@receiver(pre_delete, sender=Theme)
def touch_recommendations_losing_a_link(sender, instance, **kwargs):
    recommendations_touch(instance.recommendations.all())


def touch_the_other_side(sender, instance, action, reverse, pk_set, **kwargs):
    """A link made or broken from the far side (or to a related one) changes those rows."""
    if not reverse and sender is not Recommendation.related.through:
        return  # the recommendation itself is being edited, and its save marks it
    if action in ("post_add", "post_remove") and pk_set:
        recommendations_touch(Recommendation.objects.filter(pk__in=pk_set))
    elif action == "pre_clear" and sender is Recommendation.related.through:
        recommendations_touch(instance.related.all())
    elif action == "pre_clear":
        recommendations_touch(instance.recommendations.all())


for through in (
    Recommendation.themes.through,
    Recommendation.examples.through,
    Recommendation.sources.through,
    Recommendation.related.through,
):
    m2m_changed.connect(touch_the_other_side, sender=through, dispatch_uid=f"touch-{through}")
