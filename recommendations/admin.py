from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from cuspe_portal.admin import BoundedSearchMixin
from cuspe_portal.history import HistoryCompareMixin
from cuspe_portal.markdown import render_markdown

from . import services
from .models import (
    Example,
    IssuedReference,
    ProgressUpdate,
    PublicationState,
    Recommendation,
    Reference,
    Report,
)
from .preview import preview_token, render_preview
from .resources import ExampleResource, RecommendationResource, ReferenceResource

STEPS_WITHOUT_SAVING = {"_reject", "_unpublish", "_archive", "_discard"}


class PendingChangesForm(forms.ModelForm):
    """Opens a published item at its next version: its pending changes, if it has any."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.pending_changes:
            pending = self.instance.pending_changes
            for name, value in {**pending["fields"], **pending.get("links", {})}.items():
                if name in self.fields:
                    self.initial[name] = value


class WorkflowAdmin(BoundedSearchMixin, HistoryCompareMixin, ImportExportMixin, SimpleHistoryAdmin):
    """Draft -> in review -> published -> archived, with preview, for recommendations and
    examples. Saving a published item keeps the edit as pending changes: the public keeps
    seeing the published version until a publisher publishes the change."""

    form = PendingChangesForm
    change_form_template = "admin/recommendations/workflow_change_form.html"
    actions = ["submit_selected", "publish_selected", "unpublish_selected", "archive_selected"]
    markdown_field = ""
    workflow_buttons = {
        "_submit": ("Save and send for review", services.item_submit_for_review),
        "_publish": ("Save and publish", services.item_publish),
        "_reject": ("Send back to draft", services.item_reject),
        "_unpublish": ("Unpublish", services.item_unpublish),
        "_archive": ("Archive", services.item_archive),
        "_discard": ("Discard unpublished changes", services.item_discard_changes),
    }

    def has_publish_permission(self, request, obj=None):
        return services.can_publish(request.user, self.model)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["workflow_status", "markdown_preview", "created_at", "updated_at"]
        if obj is not None and obj.publication_state == PublicationState.PUBLISHED:
            return [*fixed, "published_at"]
        if not self.has_publish_permission(request):
            return [*fixed, "published_at"]
        return fixed

    @admin.display(description="State")
    def workflow_status(self, obj):
        if obj is None or obj.pk is None:
            return "New draft"
        return obj.workflow_label

    @admin.display(description="How the Markdown will look")
    def markdown_preview(self, obj):
        if obj is None or obj.pk is None:
            return "Shown after the first save."
        staged, _ = obj.staged()
        html = render_markdown(getattr(staged, self.markdown_field))
        # Sanitized by render_markdown (nh3 allow-list), so it is safe to show as HTML.
        return format_html("<div>{}</div>", mark_safe(html)) if html else "—"

    def skips_saving(self, request):
        """Steps such as Unpublish act on the item as it is: the form's edits are not saved."""
        return any(step in request.POST for step in STEPS_WITHOUT_SAVING)

    def save_model(self, request, obj, form, change):
        if change and self.skips_saving(request):
            request._workflow_save = "nothing"
            return
        if change:
            # Only the workflow's steps change the state: a form, or an old version being
            # reverted to, never carries one in (a publisher's typed time is kept).
            stored = self.model.objects.get(pk=obj.pk)
            for name in {"publication_state", "pending_changes", "pending_state"} | (
                set() if "published_at" in form.fields else {"published_at"}
            ):
                setattr(obj, name, getattr(stored, name))
        if change and obj.publication_state == PublicationState.PUBLISHED:
            # The public row stays as it is; the edit, if any, waits as pending changes.
            request._workflow_save = "inlines only"
            # Links too: the revert view calls form.save_m2m() itself, past save_related.
            form.save_m2m = lambda: None
            reverting = (request.resolver_match.url_name or "").endswith("_simple_history")
            if form.has_changed() or reverting:
                links = {
                    field.name: form.cleaned_data[field.name]
                    for field in self.model._meta.many_to_many
                    if field.name in form.cleaned_data
                }
                services.item_stage_changes(item=stored, edited=obj, links=links, by=request.user)
                request._staged_item = stored
            return
        if not change:
            obj.publication_state = PublicationState.DRAFT
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        saving = getattr(request, "_workflow_save", "everything")
        if saving == "everything":
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:
            if saving == "nothing":
                formset.save(commit=False)  # nothing is saved; the change message needs this
            else:  # inline records (progress updates) are not versioned: they save at once
                self.save_formset(request, form, formset, change=change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["workflow_buttons"] = self.allowed_buttons(request, obj)
        if obj is not None and obj.pk:
            context["preview_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_preview", args=[obj.pk]
            )
            context["share_preview_url"] = request.build_absolute_uri(
                reverse("recommendations:preview", args=[preview_token(obj)])
            )
            context["pending"] = bool(obj.pending_changes)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def allowed_buttons(self, request, obj):
        """The workflow steps this user may take from the item's current state."""
        state = obj.publication_state if obj is not None and obj.pk else PublicationState.DRAFT
        pending = obj.pending_state if obj is not None and obj.pk else ""
        editor = services.can_edit(request.user, self.model)
        publisher = self.has_publish_permission(request)
        steps = []
        if editor and (state == PublicationState.DRAFT or pending == "draft"):
            steps.append("_submit")
        if publisher and (state != PublicationState.PUBLISHED or pending):
            steps.append("_publish")
        if publisher and (state == PublicationState.IN_REVIEW or pending == "in_review"):
            steps.append("_reject")
        if publisher and state == PublicationState.PUBLISHED:
            steps.append("_unpublish")
        if publisher and obj is not None and obj.pk and state != PublicationState.ARCHIVED:
            steps.append("_archive")
        if editor and pending:
            steps.append("_discard")
        return [(name, self.workflow_buttons[name][0]) for name in steps]

    def response_add(self, request, obj, post_url_continue=None):
        return self.run_workflow_step(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self.run_workflow_step(request, obj) or super().response_change(request, obj)

    def run_workflow_step(self, request, obj):
        """After a save, take the workflow step named by the button the editor pressed."""
        step = next((name for name in self.workflow_buttons if name in request.POST), None)
        if step is None:
            if getattr(request, "_staged_item", None) is not None:
                self.message_user(
                    request,
                    f"Your changes to “{obj}” are saved as a draft. The public still sees the "
                    "published version until a publisher publishes the changes.",
                    messages.WARNING,
                )
            return None
        label, transition = self.workflow_buttons[step]
        item = self.model.objects.get(pk=obj.pk)
        kwargs = {"item": item, "by": request.user}
        if step == "_publish" and item.published_at and item.published_at > timezone.now():
            kwargs["at"] = item.published_at  # a future time typed by the publisher schedules it
        try:
            transition(**kwargs)
        except (PermissionDenied, ValidationError) as refusal:
            message = refusal.messages[0] if isinstance(refusal, ValidationError) else refusal
            self.message_user(request, f"{label}: not done. {message}", messages.ERROR)
        else:
            item.refresh_from_db()
            self.message_user(
                request, f"{label}: done. “{item}” is now {item.workflow_label.lower()}."
            )
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
        )

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{opts.app_label}_{opts.model_name}_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        item = self.object_or_404(object_id)
        if not self.has_view_or_change_permission(request, item):
            raise PermissionDenied
        return render_preview(request, item)

    def bulk_step(self, request, queryset, transition, done):
        changed, refused = 0, []
        for item in queryset:
            try:
                transition(item=item, by=request.user)
                changed += 1
            except (PermissionDenied, ValidationError):
                refused.append(str(item))
        if changed:
            self.message_user(
                request, ngettext(f"%d item {done}.", f"%d items {done}.", changed) % changed
            )
        if refused:
            self.message_user(
                request,
                f"Not {done} (not allowed from their state): {', '.join(refused)}.",
                messages.WARNING,
            )

    @admin.action(
        description="Send selected %(verbose_name_plural)s for review", permissions=["change"]
    )
    def submit_selected(self, request, queryset):
        self.bulk_step(request, queryset, services.item_submit_for_review, "sent for review")

    @admin.action(description="Publish selected %(verbose_name_plural)s", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self.bulk_step(request, queryset, services.item_publish, "published")

    @admin.action(
        description="Unpublish selected %(verbose_name_plural)s (back to draft)",
        permissions=["publish"],
    )
    def unpublish_selected(self, request, queryset):
        self.bulk_step(request, queryset, services.item_unpublish, "taken off the public site")

    @admin.action(description="Archive selected %(verbose_name_plural)s", permissions=["publish"])
    def archive_selected(self, request, queryset):
        self.bulk_step(request, queryset, services.item_archive, "archived")


@admin.register(Report)
class ReportAdmin(BoundedSearchMixin, HistoryCompareMixin, SimpleHistoryAdmin):
    list_display = ["short_title", "title", "year", "commissioning_body", "is_demonstration"]
    list_filter = ["is_demonstration", "year"]
    search_fields = ["title", "short_title", "question", "summary"]
    prepopulated_fields = {"slug": ["short_title"]}
    readonly_fields = ["summary_preview", "created_at", "updated_at"]

    @admin.display(description="How the summary looks")
    def summary_preview(self, obj):
        if obj is None or not obj.summary_html:
            return "Shown after saving."
        return format_html("<div>{}</div>", mark_safe(obj.summary_html))  # sanitized on save


@admin.register(Reference)
class ReferenceAdmin(
    BoundedSearchMixin, HistoryCompareMixin, ImportExportMixin, SimpleHistoryAdmin
):
    resource_classes = [ReferenceResource]
    list_display = ["title", "authors", "year", "publisher"]
    list_filter = ["year"]
    search_fields = ["title", "authors", "publisher"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Example)
class ExampleAdmin(WorkflowAdmin):
    resource_classes = [ExampleResource]
    markdown_field = "description"
    list_display = ["title", "organisation", "place", "year", "workflow_status", "updated_at"]
    list_filter = ["publication_state", "pending_state", "year"]
    search_fields = ["title", "organisation", "place", "summary", "description"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "organisation", "place", "year", "url"]}),
        ("Content", {"fields": ["summary", "description", "markdown_preview"]}),
        ("Publication", {"fields": ["workflow_status", "published_at"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


class ProgressUpdateInline(admin.StackedInline):
    """Progress is recorded on the recommendation's page: the latest update sets its status,
    progress and last-reviewed date."""

    model = ProgressUpdate
    extra = 1
    fields = [("date", "status", "progress", "is_public"), "note", "author"]
    readonly_fields = ["author"]
    verbose_name = "progress update"
    verbose_name_plural = "progress updates (newest first)"


class NeedsReviewFilter(admin.SimpleListFilter):
    title = "follow-up"
    parameter_name = "follow_up"

    def lookups(self, request, model_admin):
        return [
            ("needs_review", "Needs review"),
            ("overdue", "Overdue"),
            ("mine", "Mine"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "needs_review":
            return queryset.published().needs_review()
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "mine":
            return queryset.filter(owner=request.user)
        return queryset


@admin.register(Recommendation)
class RecommendationAdmin(WorkflowAdmin):
    resource_classes = [RecommendationResource]
    markdown_field = "rationale"
    inlines = [ProgressUpdateInline]
    list_display = [
        "reference",
        "title",
        "area",
        "status",
        "progress",
        "follow_up",
        "workflow_status",
        "updated_at",
    ]
    list_display_links = ["reference", "title"]
    list_filter = [
        NeedsReviewFilter,
        "area",
        "themes",
        "report",
        "status",
        "publication_state",
        "pending_state",
        "priority",
    ]
    list_select_related = ["area", "owner"]
    search_fields = ["reference", "title", "summary", "rationale", "owner_team"]
    autocomplete_fields = ["related", "examples", "sources", "owner"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["themes"]
    date_hierarchy = "updated_at"
    fieldsets = [
        (None, {"fields": ["report", "area", "reference", "title", "slug"]}),
        ("Content", {"fields": ["summary", "rationale", "markdown_preview", "source_section"]}),
        ("Links", {"fields": ["themes", "related", "examples", "sources"]}),
        (
            "Assessment",
            {"fields": ["priority", "horizon", "impact", "effort", "evidence", "status"]},
        ),
        (
            "Follow-up (internal: never shown to the public)",
            {
                "fields": [
                    ("owner", "owner_team"),
                    ("owner_contact", "target_date"),
                    ("progress", "last_reviewed_on"),
                ]
            },
        ),
        ("Publication", {"fields": ["workflow_status", "published_at"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Follow-up")
    def follow_up(self, obj):
        today = timezone.localdate()
        flags = []
        if (
            obj.target_date
            and obj.target_date < today
            and obj.status
            not in {
                Recommendation.Status.IMPLEMENTED,
                Recommendation.Status.NOT_TAKEN_FORWARD,
            }
        ):
            flags.append("Overdue")
        if obj.needs_review:
            flags.append("Needs review")
        return ", ".join(flags) or "—"

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProgressUpdate:
            return super().save_formset(request, form, formset, change)
        updates = formset.save(commit=False)
        for update in formset.deleted_objects:
            services.progress_update_delete(update=update, by=request.user)
        for update in updates:
            services.progress_update_save(update=update, by=request.user)

    def get_readonly_fields(self, request, obj=None):
        # A reference, once issued, is part of every link and citation: it never changes.
        fixed = [*super().get_readonly_fields(request, obj), "progress", "last_reviewed_on"]
        return [*fixed, "reference"] if obj else fixed


@admin.register(IssuedReference)
class IssuedReferenceAdmin(admin.ModelAdmin):
    """Read-only ledger of every reference ever issued, so editors can see none is reused."""

    list_display = ["reference", "prefix", "number", "issued_at", "withdrawn_at"]
    search_fields = ["reference"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
