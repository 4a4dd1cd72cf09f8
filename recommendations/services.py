"""Writes that change what the public sees."""

from django.utils import timezone

from .models import PublicationState, Publishable


def item_publish(*, item: Publishable) -> bool:
    """Publish a draft recommendation or example now; return False if it was already public."""
    if item.is_published:
        return False
    item.publication_state = PublicationState.PUBLISHED
    if item.published_at is None or item.published_at > timezone.now():
        item.published_at = timezone.now()
    item.save()
    return True


def item_unpublish(*, item: Publishable) -> bool:
    """Take a recommendation or example off the public site; return False if it was a draft."""
    if item.publication_state == PublicationState.DRAFT:
        return False
    item.publication_state = PublicationState.DRAFT
    item.save()
    return True
