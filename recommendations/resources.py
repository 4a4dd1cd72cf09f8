"""Spreadsheet columns for recommendations: one definition for every export and import.

The public CSV/JSON export, the API's CSV and the admin's spreadsheet import/export all use
`RecommendationResource`, so a file exported anywhere has the header row the import reads.
Related records are written by their stable keys (area and theme slugs, references), never by
database ids.
"""

from django.db.models import Prefetch
from django.utils.text import slugify
from import_export import fields, resources, widgets

from areas.models import Area, Theme
from cuspe_portal.spreadsheets import spreadsheet_value

from . import services
from .models import Example, PublicationState, PublicChange, Recommendation, Reference, Report

# The public columns, in the order every export writes them.
EXPORT_COLUMNS = [
    "reference",
    "title",
    "area",
    "report",
    "summary",
    "rationale",
    "themes",
    "status",
    "priority",
    "horizon",
    "impact",
    "effort",
    "evidence",
    "source_section",
    "examples",
    "related",
    "slug",
    "updated_at",
]

LIST_SEPARATOR = "|"


class StrictManyToManyWidget(widgets.ManyToManyWidget):
    """Like ManyToManyWidget, but an unknown value is an error instead of being dropped."""

    def clean(self, value, row=None, **kwargs):
        chosen = super().clean(value, row=row, **kwargs)
        if not value:
            return chosen
        wanted = {item.strip() for item in str(value).split(self.separator) if item.strip()}
        found = {str(getattr(item, self.field)) for item in chosen}
        if unknown := sorted(wanted - found):
            raise ValueError(f"Unknown {self.model._meta.verbose_name}: {', '.join(unknown)}")
        return chosen


class SpreadsheetResource(resources.ModelResource):
    """Imports read text cells back as the safe exports wrote them (cuspe_portal/spreadsheets)."""

    def before_import_row(self, row, **kwargs):
        for name, value in row.items():
            row[name] = spreadsheet_value(value)
        super().before_import_row(row, **kwargs)


class WorkflowResource(SpreadsheetResource):
    """Spreadsheet imports that respect the editorial workflow.

    New rows arrive as drafts, unless a publisher imports them (then they are published).
    An editor's change to a published item waits as pending changes for a publisher, just as
    an edit in the admin does. A key (reference or slug) twice in one file refuses the row.
    """

    def before_import(self, dataset, **kwargs):
        self._seen_keys = set()
        self._staged, self._to_publish, self._changed_in_public = set(), set(), set()
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        key_field = self._meta.import_id_fields[0]
        key = (row.get(key_field) or "").strip().upper()
        if key:
            if key in self._seen_keys:
                raise ValueError(f"{key_field} {key} appears more than once in the file.")
            self._seen_keys.add(key)
        if "slug" in self.fields and not (row.get("slug") or "").strip() and row.get("title"):
            row["slug"] = slugify(row["title"])[:255]
        super().before_import_row(row, **kwargs)

    def save_instance(self, instance, is_create, row, **kwargs):
        user = kwargs.get("user")
        if user is None:
            raise ValueError("Imports need a signed-in user: use the admin's Import page.")
        publisher = services.can_publish(user, instance)
        if is_create:
            instance.publication_state = PublicationState.DRAFT
            super().save_instance(instance, is_create, row, **kwargs)
            if publisher:
                self._to_publish.add(instance.pk)
            return
        if instance.publication_state == PublicationState.PUBLISHED and not publisher:
            stored = type(instance).objects.get(pk=instance.pk)
            links = {
                field.attribute: field.clean(row)
                for field in self.get_import_fields()
                if isinstance(field.widget, widgets.ManyToManyWidget)
            }
            services.item_stage_changes(item=stored, edited=instance, links=links, by=user)
            self._staged.add(instance.pk)
            return
        if instance.is_published:  # a publisher's import is the new public version
            instance.pending_changes, instance.pending_state = None, ""
            self._changed_in_public.add(instance.pk)
        super().save_instance(instance, is_create, row, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        if instance.pk in self._staged:
            return
        super().save_m2m(instance, row, **kwargs)
        # Published through the workflow once its links are in place, so the changes page
        # and feeds hear of it like any other publication.
        user = kwargs.get("user")
        if instance.pk in self._to_publish:
            services.item_publish(item=instance, by=user)
        elif instance.pk in self._changed_in_public:
            services.public_change_record(item=instance, kind=PublicChange.Kind.CHANGED)


class RecommendationResource(WorkflowResource):
    area = fields.Field(
        attribute="area", column_name="area", widget=widgets.ForeignKeyWidget(Area, "slug")
    )
    report = fields.Field(
        attribute="report", column_name="report", widget=widgets.ForeignKeyWidget(Report, "slug")
    )
    themes = fields.Field(
        attribute="themes",
        column_name="themes",
        widget=StrictManyToManyWidget(Theme, separator=LIST_SEPARATOR, field="slug"),
    )
    examples = fields.Field(
        attribute="examples",
        column_name="examples",
        widget=StrictManyToManyWidget(Example, separator=LIST_SEPARATOR, field="slug"),
    )
    updated_at = fields.Field(attribute="updated_at", column_name="updated_at", readonly=True)
    related = fields.Field(
        attribute="related",
        column_name="related",
        widget=widgets.ManyToManyWidget(
            Recommendation, separator=LIST_SEPARATOR, field="reference"
        ),
    )

    class Meta:
        model = Recommendation
        fields = EXPORT_COLUMNS
        export_order = EXPORT_COLUMNS
        import_id_fields = ["reference"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True

    @staticmethod
    def exportable(queryset, *, public):
        """The queryset with everything a row reads, in a fixed number of queries.

        A public export links only to published examples and recommendations, so a draft's
        slug or reference never leaks through a published row.
        """
        examples, related = Example.objects.all(), Recommendation.objects.all()
        if public:
            examples, related = examples.published(), related.published()
        return queryset.select_related("area", "report").prefetch_related(
            "themes",
            Prefetch("examples", queryset=examples),
            Prefetch("related", queryset=related),
        )


class ExampleResource(WorkflowResource):
    class Meta:
        model = Example
        fields = [
            "slug", "title", "organisation", "place", "year", "summary", "description", "url",
        ]  # fmt: skip
        export_order = fields
        import_id_fields = ["slug"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True


class ReferenceResource(SpreadsheetResource):
    class Meta:
        model = Reference
        fields = ["id", "title", "authors", "year", "publisher", "url"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True
