"""Atom feeds: every public change, the changes of one area or theme, and any filtered list.

Only what the public may see goes in: published items, public progress updates, and changes
whose time has come. What editors typed is plain text: a summary is escaped before it goes
into Atom's HTML `<summary>`, and characters that XML 1.0 forbids (control characters,
U+FFFE, U+FFFF), which a title may hold, are dropped so the feed stays well-formed.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from areas.models import Area, Theme

from .filters import RecommendationFilter
from .models import PublicChange, Recommendation

FEED_ITEMS = 50
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value):
    """`value` without the characters XML 1.0 cannot hold (other values as they are)."""
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


class SafeAtom1Feed(Atom1Feed):
    """Atom 1.0 that drops characters XML cannot hold from every text it is given."""

    def __init__(self, title, link, description, **kwargs):
        safe = {name: xml_safe(value) for name, value in kwargs.items()}
        super().__init__(xml_safe(title), link, xml_safe(description), **safe)

    def add_item(self, title, link, description, **kwargs):
        safe = {name: xml_safe(value) for name, value in kwargs.items()}
        super().add_item(xml_safe(title), link, xml_safe(description), **safe)


class ChangesFeed(Feed):
    """Everything that changed in public, newest first."""

    feed_type = SafeAtom1Feed

    def title(self, obj=None):
        scope = f": {obj.name}" if obj else ""
        return f"Changes{scope} – {settings.PORTAL_SERVICE_NAME}"

    def subtitle(self, obj=None):
        return (
            f"Recommendations published, changed, archived or updated in progress, from "
            f"{settings.PORTAL_ORGANISATION_NAME}."
        )

    def link(self, obj=None):
        return obj.get_absolute_url() if obj else reverse("recommendations:changes")

    def changes(self, obj):
        return PublicChange.objects.visible()

    def items(self, obj=None):
        return self.changes(obj).select_related("recommendation", "example")[:FEED_ITEMS]

    def item_title(self, item):
        return f"{item.get_kind_display()}: {item.title}"

    def item_description(self, item):
        return escape(item.description or item.get_kind_display())

    def item_link(self, item):
        # A deleted item has no page any more: point at the changes page instead.
        return item.get_absolute_url() or f"{reverse('recommendations:changes')}#change-{item.pk}"

    def item_guid(self, item):
        return f"change-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.at

    def item_updateddate(self, item):
        return item.at


class AreaChangesFeed(ChangesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Area, slug=slug)

    def changes(self, obj):
        return PublicChange.objects.visible().in_area(obj)


class ThemeChangesFeed(ChangesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Theme, slug=slug)

    def changes(self, obj):
        return PublicChange.objects.visible().with_theme(obj).distinct()


class RecommendationListFeed(Feed):
    """The recommendations of any filtered list (same filters as the page), latest change
    first, so a reader can subscribe to exactly the view they built."""

    feed_type = SafeAtom1Feed

    def get_object(self, request):
        filterset = RecommendationFilter(
            request.GET, queryset=Recommendation.objects.published().select_related("area")
        )
        if not filterset.is_valid():
            raise BadRequest(f"These filters could not be used: {filterset.errors.as_text()}")
        self.query = request.GET.urlencode()
        return filterset

    def title(self, filterset):
        return f"Recommendations – {settings.PORTAL_SERVICE_NAME}"

    def subtitle(self, filterset):
        return "The recommendations matching a filtered view, most recently changed first."

    def link(self, filterset):
        list_url = reverse("recommendations:list")
        return f"{list_url}?{self.query}" if self.query else list_url

    def items(self, filterset):
        return filterset.qs.order_by("-updated_at", "pk")[:FEED_ITEMS]

    def item_title(self, item):
        return f"{item.reference} {item.title}"

    def item_description(self, item):
        return escape(f"{item.summary} Status: {item.get_status_display()}.")

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.area.name]
