"""The REST API, version 1: one ViewSet per resource, behind the router in cuspe_portal/urls.py.

Anonymous clients read what the public pages show (`published()`); whoever may view or change
a model in the admin also reads its drafts. Writes need the model's add or change permission
and follow the editorial workflow: new items are drafts, and an edit to a published item waits
as pending changes for a publisher (202).
"""

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from areas.models import Area, Theme
from cuspe_portal.viewsets import PortalViewSet, latest

from .filters import RecommendationFilter, WithdrawnFilter
from .models import (
    Example,
    IssuedReference,
    ProgressUpdate,
    Recommendation,
    Reference,
    Report,
)
from .resources import RecommendationResource
from .serializers import (
    AreaSerializer,
    ExampleSerializer,
    ExampleWriteSerializer,
    ProgressUpdateSerializer,
    ProgressUpdateWriteSerializer,
    RecommendationSerializer,
    RecommendationWriteSerializer,
    ReferenceSerializer,
    ReferenceWriteSerializer,
    ReportSerializer,
    ThemeSerializer,
    WithdrawnSerializer,
)
from .services import can_record_progress, progress_update_save


def can_see_drafts(user, model):
    """Whoever may view or change a model in the admin reads its drafts over the API too."""
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def latest_of(*moments):
    """The latest of the moments given, ignoring the missing ones."""
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def changed_at(item):
    """When a publishable item last changed for a reader: edited, or gone public."""
    return latest_of(item.updated_at, item.published_at)


def change_sources(items):
    """The sources for `latest()` of when any of `items` (publishable) last changed for a
    reader: the latest edit and the latest publication, which indexes answer. The later of
    the two is the latest `changed_at()` of any item, without computing it for every row."""
    return [(items, "updated_at"), (items, "published_at")]


def publication_change_sources():
    """The sources for `latest()` of when the public recommendations last changed: an edit, a
    publication or a withdrawal."""
    return [
        *change_sources(Recommendation.objects.published()),
        (IssuedReference.objects.all(), "withdrawn_at"),
    ]


class EditableViewSet(PortalViewSet):
    """Create and update with a write serializer; answer with the read representation."""

    write_serializer_class = None

    def get_serializer_class(self):
        if self.request is not None and self.request.method in ("POST", "PUT", "PATCH"):
            return self.write_serializer_class
        return self.serializer_class

    def readable(self, *, drafts):
        """The queryset a reader sees, drafts included or not."""
        raise NotImplementedError

    def get_queryset(self):
        return self.readable(drafts=can_see_drafts(self.request.user, self.model))

    def representation_of(self, instance):
        """The item as a GET would show it now, read back from the database."""
        fresh = self.readable(drafts=True).get(pk=instance.pk)
        return self.serializer_class(fresh, context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        writer = self.get_serializer(data=request.data)
        writer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = writer.save()
        representation = self.representation_of(instance)
        return Response(
            representation,
            status=status.HTTP_201_CREATED,
            headers={"Location": representation["url"]},
        )

    def update(self, request, *args, partial=False, **kwargs):
        with transaction.atomic():
            instance = self.get_object(for_update=True)
            self.check_preconditions(instance)
            writer = self.get_serializer(instance, data=request.data, partial=partial)
            writer.is_valid(raise_exception=True)
            writer.save()
        representation = self.representation_of(instance)
        return Response(
            representation, status=status.HTTP_202_ACCEPTED if writer.staged else status.HTTP_200_OK
        )

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


def writes_documented(read, write, noun, *, publishable=True):
    """The schema of create, update and partial update: `write` in, `read` out."""
    article = "an" if noun[0] in "aeiou" else "a"
    staged = OpenApiResponse(
        read,
        description=(
            f"The {noun} was published, so the edit waits as its pending changes for a "
            "publisher; the body is the public version, unchanged."
        ),
    )
    return {
        "create": extend_schema(
            summary=f"Add {article} {noun}" + (" (as a draft)" if publishable else ""),
            request=write,
            responses={201: read},
        ),
        "update": extend_schema(
            summary=f"Replace {article} {noun}",
            request=write,
            responses={200: read, 202: staged} if publishable else {200: read},
        ),
        "partial_update": extend_schema(
            summary=f"Change some fields of {article} {noun}",
            request=write,
            responses={200: read, 202: staged} if publishable else {200: read},
        ),
    }


@extend_schema_view(
    list=extend_schema(summary="List the areas"),
    retrieve=extend_schema(summary="Read one area"),
)
class AreaViewSet(PortalViewSet):
    """The report's areas of recommendation, each with how many published recommendations it
    holds. Areas are looked after in the admin."""

    serializer_class = AreaSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return Area.objects.with_recommendation_counts(Recommendation.objects.published())

    def list_last_modified(self, queryset):
        return latest(Area.objects.all(), *publication_change_sources())

    def object_last_modified(self, instance):
        return latest_of(instance.updated_at, latest(*publication_change_sources()))


@extend_schema_view(
    list=extend_schema(summary="List the themes"),
    retrieve=extend_schema(summary="Read one theme"),
)
class ThemeViewSet(PortalViewSet):
    """Cross-cutting themes that recommendations in any area share, each with how many
    published recommendations carry it. Themes are looked after in the admin."""

    serializer_class = ThemeSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return Theme.objects.with_recommendation_counts(Recommendation.objects.published())

    def list_last_modified(self, queryset):
        return latest(Theme.objects.all(), *publication_change_sources())

    def object_last_modified(self, instance):
        return latest_of(instance.updated_at, latest(*publication_change_sources()))


@extend_schema_view(
    list=extend_schema(summary="List the reports"),
    retrieve=extend_schema(summary="Read one report"),
)
class ReportViewSet(PortalViewSet):
    """The documents whose recommendations the portal holds."""

    serializer_class = ReportSerializer
    lookup_field = "slug"
    queryset = Report.objects.all()


@extend_schema_view(
    list=extend_schema(summary="List the references (literature)"),
    retrieve=extend_schema(summary="Read one reference"),
    **writes_documented(
        ReferenceSerializer, ReferenceWriteSerializer, "reference", publishable=False
    ),
)
class ReferenceViewSet(EditableViewSet):
    """Literature and evidence that recommendations cite."""

    model = Reference
    serializer_class = ReferenceSerializer
    write_serializer_class = ReferenceWriteSerializer
    lookup_value_regex = "[0-9]+"

    def readable(self, *, drafts):
        return Reference.objects.all()


@extend_schema_view(
    list=extend_schema(summary="List the examples"),
    retrieve=extend_schema(summary="Read one example"),
    **writes_documented(ExampleSerializer, ExampleWriteSerializer, "example"),
)
class ExampleViewSet(EditableViewSet):
    """Case studies that illustrate recommendations, with the recommendations they illustrate."""

    model = Example
    serializer_class = ExampleSerializer
    write_serializer_class = ExampleWriteSerializer
    lookup_field = "slug"

    def readable(self, *, drafts):
        examples = Example.objects.all() if drafts else Example.objects.published()
        recommendations = Recommendation.objects.all()
        if not can_see_drafts(self.request.user, Recommendation):
            recommendations = recommendations.published()
        return examples.prefetch_related(
            Prefetch("recommendations", recommendations, to_attr="visible_recommendations")
        )

    def list_last_modified(self, queryset):
        return latest(*change_sources(self.get_queryset()), *publication_change_sources())

    def object_last_modified(self, instance):
        return latest_of(changed_at(instance), *map(changed_at, instance.visible_recommendations))


@extend_schema_view(
    list=extend_schema(
        summary="List and filter the recommendations",
        description=(
            "Filters combine; `area` and `theme` may repeat (any of them matches). An unknown "
            "value is a 400 naming the parameter. `?format=csv` gives every matching row with "
            "the site's spreadsheet columns.\n\n"
            "**Incremental sync**: ask for `ordering=changed_at` and `updated_since=<the "
            "changed_at of the last one you saw>`; then read `withdrawn/` for what left the "
            "public site. The README has a ten-line client."
        ),
    ),
    retrieve=extend_schema(summary="Read one recommendation by its reference (any case)"),
    **writes_documented(RecommendationSerializer, RecommendationWriteSerializer, "recommendation"),
)
class RecommendationViewSet(EditableViewSet):
    """The recommendations, with their area, themes and report, and links to their examples,
    references and related recommendations."""

    model = Recommendation
    serializer_class = RecommendationSerializer
    write_serializer_class = RecommendationWriteSerializer
    filterset_class = RecommendationFilter
    lookup_field = "reference"

    def readable(self, *, drafts):
        if self.action == "withdrawn":
            return IssuedReference.objects.withdrawn().order_by("withdrawn_at", "reference")
        recommendations = Recommendation.objects.all()
        if not drafts:
            recommendations = recommendations.published()
        examples = Example.objects.all()
        if not can_see_drafts(self.request.user, Example):
            examples = examples.published()
        return (
            recommendations.with_summary_relations()
            .select_related("owner")
            .with_change_time()
            .ordered_by("")
            .prefetch_related(
                "sources",
                Prefetch("examples", examples, to_attr="visible_examples"),
                Prefetch(
                    "related",
                    recommendations.select_related("area").order_by("area__position", "number"),
                    to_attr="visible_related",
                ),
            )
        )

    def object_lookup(self):
        # References are stored in capitals: an exact match on the upper-cased value uses the
        # unique index, where a case-insensitive lookup would scan the table.
        return {"reference": self.kwargs["reference"].upper()}

    def list_last_modified(self, queryset):
        if self.action == "withdrawn":
            return latest(*publication_change_sources())
        return latest(
            *change_sources(self.get_queryset()),
            (IssuedReference.objects.all(), "withdrawn_at"),
            *(model.objects.all() for model in (Area, Theme, Report, Example, Reference)),
        )

    def object_last_modified(self, instance):
        return latest_of(
            instance.changed_at,
            instance.area.updated_at,
            instance.report.updated_at,
            *(theme.updated_at for theme in instance.themes.all()),
            *(source.updated_at for source in instance.sources.all()),
            *map(changed_at, instance.visible_examples),
            *map(changed_at, instance.visible_related),
        )

    def csv_table(self, queryset):
        """The site's spreadsheet columns (RecommendationResource), one row per match."""
        public = not can_see_drafts(self.request.user, Recommendation)
        # A list, not a queryset: import-export pages through a prefetching queryset, which
        # costs more queries as rows grow.
        rows = list(RecommendationResource.exportable(queryset, public=public))
        dataset = RecommendationResource().export(queryset=rows)
        return {"columns": dataset.headers, "rows": [list(row) for row in dataset]}

    @extend_schema(
        summary="Recommendations withdrawn from the public site (tombstones)",
        description=(
            "Every recommendation that was public and no longer is (deleted, unpublished, "
            "archived or rescheduled), oldest first, with when it left. A syncing client "
            "deletes these from its copy. One that comes back is listed again only if it "
            "leaves again."
        ),
        responses=WithdrawnSerializer(many=True),
    )
    @action(detail=False, serializer_class=WithdrawnSerializer, filterset_class=WithdrawnFilter)
    def withdrawn(self, request):
        return self.list(request)

    @extend_schema(
        methods=["GET"],
        summary="The progress updates of one recommendation, newest first",
        description=(
            "Public updates for everyone; readers who may view recommendations in the admin "
            "also get internal notes (`is_public: false`) and who recorded each."
        ),
        responses=ProgressUpdateSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a progress update",
        description=(
            "Needs a token with permission to add progress updates (publishers). The "
            "recommendation's status and progress follow its latest public update; its "
            "last-reviewed date, its latest update of any kind."
        ),
        request=ProgressUpdateWriteSerializer,
        responses={201: ProgressUpdateSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="updates",
        serializer_class=ProgressUpdateSerializer,
        filterset_class=None,
    )
    def updates(self, request, reference=None):
        recommendation = self.get_object()
        if request.method == "POST":
            if not can_record_progress(request.user):
                raise PermissionDenied("Recording progress needs the publishers' permission.")
            writer = ProgressUpdateWriteSerializer(data=request.data)
            writer.is_valid(raise_exception=True)
            update = ProgressUpdate(recommendation=recommendation, **writer.validated_data)
            progress_update_save(update=update, by=request.user)
            representation = ProgressUpdateSerializer(update, context=self.get_serializer_context())
            return Response(representation.data, status=status.HTTP_201_CREATED)
        updates = recommendation.updates.latest_first().select_related("author")
        if not can_see_drafts(request.user, Recommendation):
            updates = updates.public()
        page = self.paginate_queryset(updates)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
