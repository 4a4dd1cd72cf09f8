from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from cuspe_portal.admin import BoundedSearchMixin
from cuspe_portal.history import HistoryCompareMixin

from .models import Area, Theme


class DescriptionPreviewMixin:
    """Shows, beside the Markdown field, how the saved description looks on the site."""

    @admin.display(description="How the description looks")
    def description_preview(self, obj):
        if obj is None or not obj.description_html:
            return "Shown after saving."
        return format_html("<div>{}</div>", mark_safe(obj.description_html))  # sanitized on save


@admin.register(Area)
class AreaAdmin(
    DescriptionPreviewMixin, BoundedSearchMixin, HistoryCompareMixin, SimpleHistoryAdmin
):
    list_display = ["name", "code", "position", "summary", "updated_at"]
    list_editable = ["position"]
    search_fields = ["name", "code", "summary", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["description_preview", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "code", "position"]}),
        ("Content", {"fields": ["summary", "description", "description_preview", "source_url"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(Theme)
class ThemeAdmin(
    DescriptionPreviewMixin, BoundedSearchMixin, HistoryCompareMixin, SimpleHistoryAdmin
):
    list_display = ["name", "position", "summary", "updated_at"]
    list_editable = ["position"]
    search_fields = ["name", "summary", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["description_preview", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "position"]}),
        ("Content", {"fields": ["summary", "description", "description_preview", "source_url"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
