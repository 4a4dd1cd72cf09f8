"""Version history in the admin: django-simple-history's list, plus a field-by-field
comparison of any two versions and a link to revert to the older one."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
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

    def object_or_404(self, object_id):
        """The item an admin address names, or a 404 for any id that is not one, such as
        `../etc` or `abc` (the model's lookup would fail on them with a 500)."""
        try:
            key = self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404("There is no such item.") from None
        return get_object_or_404(self.model, pk=key)

    def history_view(self, request, object_id, extra_context=None):
        self.object_or_404(object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.object_or_404(object_id)
        return super().history_form_view(
            request, object_id, version_id, extra_context=extra_context
        )

    def history_compare_view(self, request, object_id):
        item = self.object_or_404(object_id)
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
