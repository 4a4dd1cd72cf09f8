"""Spreadsheet columns for recommendations: one definition for every export and import.

The public CSV/JSON export, the API's CSV and the admin's spreadsheet import/export all use
`RecommendationResource`, so a file exported anywhere has the header row the import reads.
Related records are written by their stable keys (area and theme slugs, references), never by
database ids.
"""

from django.db.models import Prefetch
from import_export import fields, resources, widgets

from areas.models import Area, Theme

from .models import Example, Recommendation, Report

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


class RecommendationResource(resources.ModelResource):
    area = fields.Field(
        attribute="area", column_name="area", widget=widgets.ForeignKeyWidget(Area, "slug")
    )
    report = fields.Field(
        attribute="report", column_name="report", widget=widgets.ForeignKeyWidget(Report, "slug")
    )
    themes = fields.Field(
        attribute="themes",
        column_name="themes",
        widget=widgets.ManyToManyWidget(Theme, separator=LIST_SEPARATOR, field="slug"),
    )
    examples = fields.Field(
        attribute="examples",
        column_name="examples",
        widget=widgets.ManyToManyWidget(Example, separator=LIST_SEPARATOR, field="slug"),
    )
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
        use_transactions = True

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
