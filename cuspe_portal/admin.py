from itertools import chain
from operator import attrgetter

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Case, F, When
from django.urls import reverse

from recommendations.models import Example, Recommendation

DASHBOARD_ROWS = 15


class BoundedSearchMixin:
    """The admin's search (and autocomplete) looks for at most SEARCH_LIMIT characters.

    Each word of a search becomes a condition on every search field, so a pasted page of
    text would be a statement the database refuses (SQLite: "expression tree is too large")
    or takes long over; nobody needs more than a title's length to find an item.
    """

    SEARCH_LIMIT = 200

    def get_search_results(self, request, queryset, search_term):
        if len(search_term) > self.SEARCH_LIMIT:
            search_term = search_term[: self.SEARCH_LIMIT]
            self.message_user(
                request,
                f"Only the first {self.SEARCH_LIMIT} characters of the search were used.",
                messages.WARNING,
            )
        return super().get_search_results(request, queryset, search_term)


class PortalAdminSite(admin.AdminSite):
    """The editors' admin: titled with the portal's name; its home page shows what needs
    doing (items awaiting review), what is coming (scheduled items) and what just changed."""

    site_header = f"{settings.PORTAL_SERVICE_NAME}: editors' admin"
    site_title = settings.PORTAL_SERVICE_NAME
    index_title = f"{settings.PORTAL_ORGANISATION_NAME}: content"

    def index(self, request, extra_context=None):
        if request.user.has_perm("recommendations.view_recommendation"):
            extra_context = {**(extra_context or {}), **self.dashboard(request.user)}
        return super().index(request, extra_context)

    @staticmethod
    def change_url(item):
        opts = item._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])

    def dashboard(self, user):
        models = [Recommendation, Example]
        # Owners see their own items first in the follow-up lists.
        mine_first = Case(When(owner=user.pk, then=0), default=1)
        follow_up = Recommendation.objects.select_related("owner").alias(mine=mine_first)
        by_date = attrgetter("updated_at")
        return {
            "awaiting_review": [
                (item, self.change_url(item))
                for item in sorted(
                    chain.from_iterable(m.objects.awaiting_review() for m in models), key=by_date
                )[:DASHBOARD_ROWS]
            ],
            "scheduled": [
                (item, self.change_url(item))
                for item in sorted(
                    chain.from_iterable(m.objects.scheduled() for m in models),
                    key=attrgetter("published_at"),
                )[:DASHBOARD_ROWS]
            ],
            "overdue": [
                (item, self.change_url(item))
                for item in follow_up.overdue().order_by("mine", "target_date")[:DASHBOARD_ROWS]
            ],
            "needs_review": [
                (item, self.change_url(item))
                for item in follow_up.published()
                .needs_review()
                .order_by("mine", F("last_reviewed_on").asc(nulls_first=True))[:DASHBOARD_ROWS]
            ],
            "recently_updated": [
                (item, self.change_url(item))
                for item in follow_up.exclude(last_reviewed_on=None).order_by(
                    "mine", "-last_reviewed_on"
                )[:DASHBOARD_ROWS]
            ],
            "latest_changes": sorted(
                chain.from_iterable(
                    m.history.select_related("history_user").order_by("-history_date")[
                        :DASHBOARD_ROWS
                    ]
                    for m in models
                ),
                key=attrgetter("history_date"),
                reverse=True,
            )[:DASHBOARD_ROWS],
        }
