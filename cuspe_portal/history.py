"""Version history in the admin: django-simple-history's list, plus a field-by-field
comparison of any two versions and a link to revert to the older one."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse


class HistoryCompareMixin:
    """Field-by-field differences between any two saved versions, beside simple-history's list."""

    object_history_template = "admin/object_history_compare.html"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.history_compare_view),
                name=f"{opts.app_label}_{opts.model_name}_history_compare",
            ),
            *super().get_urls(),
        ]

    def history_compare_view(self, request, object_id):
        item = get_object_or_404(self.model, pk=object_id)
        if not self.has_view_or_change_permission(request, item):
            raise PermissionDenied
        versions = item.history.all()
        try:
            older = versions.get(pk=request.GET.get("from"))
            newer = versions.get(pk=request.GET.get("to"))
        except (versions.model.DoesNotExist, ValueError, ValidationError):
            self.message_user(request, "Choose two versions to compare.", messages.ERROR)
            return HttpResponseRedirect(
                reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[item.pk]
                )
            )
        if older.history_date > newer.history_date:
            older, newer = newer, older
        hidden = {"pending_changes"} | {
            field.name for field in self.model._meta.fields if field.name.endswith("_html")
        }  # derived from the Markdown fields, which are compared themselves
        delta = newer.diff_against(older, excluded_fields=hidden)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": item,
            "older": older,
            "newer": newer,
            "changes": [
                {
                    "label": self.model._meta.get_field(change.field).verbose_name,
                    "old": change.old,
                    "new": change.new,
                }
                for change in delta.changes
            ],
            "title": f"Compare versions of “{item}”",
        }
        return TemplateResponse(request, "admin/history_compare.html", context)
