from django.contrib import admin, messages
from django.utils.translation import ngettext

from .models import Example, IssuedReference, Recommendation, Reference, Report
from .services import item_publish, item_unpublish


class PublishingActions:
    """Admin actions that publish or unpublish the selected rows, with a message after."""

    actions = ["publish_selected", "unpublish_selected"]

    @admin.action(description="Publish selected %(verbose_name_plural)s")
    def publish_selected(self, request, queryset):
        changed = sum(item_publish(item=item) for item in queryset)
        self.message_user(
            request,
            ngettext("%d item published.", "%d items published.", changed) % changed,
            messages.SUCCESS if changed else messages.WARNING,
        )

    @admin.action(description="Unpublish selected %(verbose_name_plural)s (back to draft)")
    def unpublish_selected(self, request, queryset):
        changed = sum(item_unpublish(item=item) for item in queryset)
        self.message_user(
            request,
            ngettext(
                "%d item taken off the public site.", "%d items taken off the public site.", changed
            )
            % changed,
            messages.SUCCESS if changed else messages.WARNING,
        )


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["short_title", "title", "year", "commissioning_body", "is_demonstration"]
    list_filter = ["is_demonstration", "year"]
    search_fields = ["title", "short_title", "question", "summary"]
    prepopulated_fields = {"slug": ["short_title"]}
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["title", "authors", "year", "publisher"]
    list_filter = ["year"]
    search_fields = ["title", "authors", "publisher"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Example)
class ExampleAdmin(PublishingActions, admin.ModelAdmin):
    list_display = ["title", "organisation", "place", "year", "publication_state", "updated_at"]
    list_filter = ["publication_state", "year"]
    search_fields = ["title", "organisation", "place", "summary", "description"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "organisation", "place", "year", "url"]}),
        ("Content", {"fields": ["summary", "description"]}),
        ("Publication", {"fields": ["publication_state", "published_at"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(Recommendation)
class RecommendationAdmin(PublishingActions, admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "area",
        "status",
        "priority",
        "publication_state",
        "updated_at",
    ]
    list_display_links = ["reference", "title"]
    list_filter = ["area", "themes", "report", "status", "publication_state", "priority"]
    list_select_related = ["area"]
    search_fields = ["reference", "title", "summary", "rationale"]
    autocomplete_fields = ["related", "examples", "sources"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["themes"]
    date_hierarchy = "updated_at"
    fieldsets = [
        (None, {"fields": ["report", "area", "reference", "title", "slug"]}),
        ("Content", {"fields": ["summary", "rationale", "source_section"]}),
        ("Links", {"fields": ["themes", "related", "examples", "sources"]}),
        (
            "Assessment",
            {"fields": ["priority", "horizon", "impact", "effort", "evidence", "status"]},
        ),
        ("Publication", {"fields": ["publication_state", "published_at"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A reference, once issued, is part of every link and citation: it never changes.
        fixed = ["created_at", "updated_at"]
        return [*fixed, "reference"] if obj else fixed


@admin.register(IssuedReference)
class IssuedReferenceAdmin(admin.ModelAdmin):
    """Read-only ledger of every reference ever issued, so editors can see none is reused."""

    list_display = ["reference", "prefix", "number", "issued_at"]
    search_fields = ["reference"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
