"""What the API shows and accepts, field by field.

Reading, every representation carries `url` (its API address) and `html_url` (its public
page). Writing takes related records by their stable keys (area, theme, report and example
slugs, recommendation references, reference ids) and validates exactly as the admin does:
the model's own field checks, `clean()` and uniqueness, before anything is saved.
"""

import copy
from urllib.parse import quote

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from areas.models import Area, Theme

from .models import (
    Example,
    IssuedReference,
    ProgressUpdate,
    PublicationState,
    Recommendation,
    Reference,
    Report,
)
from .services import item_stage_changes

# What reverse() leaves unquoted in a value it puts into an address.
URL_SAFE = RFC3986_SUBDELIMS + "/~:@"
# Stands in for the lookup value when one address is made for many objects: it matches every
# pattern the addresses use (slugs, references and ids).
STAND_IN = "1234567890"


def addresses(context, key, make_address):
    """A function from a lookup value to an absolute address, made once per response and
    `key`: `make_address()` gives the address for STAND_IN, and each value takes its place.

    reverse() costs tens of microseconds, and a page of 20 recommendations has hundreds of
    links; this makes one address per kind of link, and the rest with string operations.
    """
    made = context.setdefault("addresses", {})
    if key not in made:
        before, _, after = make_address().rpartition(STAND_IN)
        made[key] = lambda value: f"{before}{quote(str(value), safe=URL_SAFE)}{after}"
    return made[key]


@extend_schema_field({"type": "string", "format": "uri", "description": "Its public page."})
class PageUrlField(serializers.Field):
    """The absolute address of the object's page on the public site (`get_absolute_url()`,
    which takes the page's address from `lookup_field` alone)."""

    def __init__(self, lookup_field="slug", **kwargs):
        self.lookup_field = lookup_field
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        model = type(instance)
        page = addresses(
            self.context,
            model,
            lambda: self.context["request"].build_absolute_uri(
                model(**{self.lookup_field: STAND_IN}).get_absolute_url()
            ),
        )
        return page(getattr(instance, self.lookup_field))


@extend_schema_field(
    {
        "type": "string",
        "format": "uri",
        "nullable": True,
        "description": "Its public page; null while it has none of its own.",
    }
)
class OptionalPageUrlField(PageUrlField):
    def to_representation(self, instance):
        if not hasattr(instance, "get_absolute_url"):
            return None
        return super().to_representation(instance)


class WebAddressField(serializers.URLField):
    """A web address elsewhere, or null when none was given (never an empty string)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


def can_view_in_admin(context, model):
    """Whether the reader may view this kind of item in the admin (drafts, internal fields)."""
    request = context.get("request")
    opts = model._meta
    return request is not None and request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


def can_read_internal(context):
    return can_view_in_admin(context, Recommendation)


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "description": (
            "Where unpublished changes to a published item stand (draft or in_review; blank "
            "when there are none). Null unless the reader may view drafts."
        ),
    }
)
class PendingStateField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, item):
        return item.pending_state if can_view_in_admin(self.context, type(item)) else None


class ApiLinkField(serializers.HyperlinkedIdentityField):
    """The object's API address, made as `addresses()` makes them."""

    def get_url(self, obj, view_name, request, format):
        if format or obj.pk in (None, ""):
            return super().get_url(obj, view_name, request, format)
        link = addresses(
            self.context,
            (view_name, self.lookup_url_kwarg),
            lambda: self.reverse(
                view_name, kwargs={self.lookup_url_kwarg: STAND_IN}, request=request
            ),
        )
        return link(getattr(obj, self.lookup_field))


def api_link(view_name, lookup_field="slug"):
    return ApiLinkField(view_name=f"api:{view_name}-detail", lookup_field=lookup_field)


# Short forms, embedded in other representations


class AreaSummarySerializer(serializers.ModelSerializer):
    url = api_link("area")
    html_url = PageUrlField()

    class Meta:
        model = Area
        fields = ["url", "html_url", "slug", "name", "code"]


class ThemeSummarySerializer(serializers.ModelSerializer):
    url = api_link("theme")
    html_url = PageUrlField()

    class Meta:
        model = Theme
        fields = ["url", "html_url", "slug", "name"]


class ReportSummarySerializer(serializers.ModelSerializer):
    url = api_link("report")
    html_url = PageUrlField()

    class Meta:
        model = Report
        fields = ["url", "html_url", "slug", "short_title", "year"]


class ExampleLinkSerializer(serializers.ModelSerializer):
    url = api_link("example")
    html_url = PageUrlField()

    class Meta:
        model = Example
        fields = ["url", "html_url", "slug", "title"]


class ReferenceLinkSerializer(serializers.ModelSerializer):
    url = api_link("reference", lookup_field="pk")
    html_url = OptionalPageUrlField()
    citation = serializers.CharField(read_only=True, help_text="Authors (year) Title. Publisher.")

    class Meta:
        model = Reference
        fields = ["url", "html_url", "id", "citation"]


class RecommendationLinkSerializer(serializers.ModelSerializer):
    url = api_link("recommendation", lookup_field="reference")
    html_url = PageUrlField(lookup_field="reference")

    class Meta:
        model = Recommendation
        fields = ["url", "html_url", "reference", "title"]


# Full representations


class AreaSerializer(serializers.ModelSerializer):
    url = api_link("area")
    html_url = PageUrlField()
    source_url = WebAddressField()
    recommendation_count = serializers.IntegerField(
        read_only=True, help_text="How many published recommendations it holds."
    )

    class Meta:
        model = Area
        fields = [
            "url",
            "html_url",
            "slug",
            "name",
            "code",
            "position",
            "summary",
            "description",
            "description_html",
            "source_url",
            "recommendation_count",
            "updated_at",
        ]


class ThemeSerializer(serializers.ModelSerializer):
    url = api_link("theme")
    html_url = PageUrlField()
    source_url = WebAddressField()
    recommendation_count = serializers.IntegerField(
        read_only=True, help_text="How many published recommendations carry it."
    )

    class Meta:
        model = Theme
        fields = [
            "url",
            "html_url",
            "slug",
            "name",
            "position",
            "summary",
            "description",
            "description_html",
            "source_url",
            "recommendation_count",
            "updated_at",
        ]


class ReportSerializer(serializers.ModelSerializer):
    url = api_link("report")
    html_url = PageUrlField()
    web_address = WebAddressField(source="url")

    class Meta:
        model = Report
        fields = [
            "url",
            "html_url",
            "slug",
            "title",
            "short_title",
            "year",
            "commissioning_body",
            "question",
            "summary",
            "summary_html",
            "period",
            "web_address",
            "is_demonstration",
            "updated_at",
        ]


class ReferenceSerializer(serializers.ModelSerializer):
    url = api_link("reference", lookup_field="pk")
    html_url = OptionalPageUrlField()
    web_address = WebAddressField(source="url")
    citation = serializers.CharField(read_only=True, help_text="Authors (year) Title. Publisher.")

    class Meta:
        model = Reference
        fields = [
            "url",
            "html_url",
            "id",
            "title",
            "authors",
            "year",
            "publisher",
            "web_address",
            "citation",
            "created_at",
            "updated_at",
        ]


class ExampleSerializer(serializers.ModelSerializer):
    url = api_link("example")
    pending_state = PendingStateField()
    html_url = PageUrlField()
    web_address = WebAddressField(source="url")
    recommendations = RecommendationLinkSerializer(
        source="visible_recommendations", many=True, read_only=True
    )

    class Meta:
        model = Example
        fields = [
            "url",
            "html_url",
            "slug",
            "title",
            "organisation",
            "place",
            "year",
            "summary",
            "description",
            "description_html",
            "web_address",
            "recommendations",
            "publication_state",
            "published_at",
            "pending_state",
            "created_at",
            "updated_at",
        ]


class FollowUpSerializer(serializers.ModelSerializer):
    """Internal follow-up details: only for readers who may view recommendations in the admin."""

    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Recommendation
        fields = ["owner", "owner_team", "owner_contact", "target_date"]


class ProgressUpdateSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(
        help_text="Who recorded it: only for readers who may view recommendations in the admin."
    )

    class Meta:
        model = ProgressUpdate
        fields = ["date", "status", "progress", "note", "note_html", "is_public", "author"]
        read_only_fields = fields

    def get_author(self, update) -> str | None:
        if update.author is None or not can_read_internal(self.context):
            return None
        return update.author.get_username()


class ProgressUpdateWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressUpdate
        fields = ["date", "status", "progress", "note", "is_public"]


class RecommendationSerializer(serializers.ModelSerializer):
    url = api_link("recommendation", lookup_field="reference")
    pending_state = PendingStateField()
    html_url = PageUrlField(lookup_field="reference")
    area = AreaSummarySerializer(read_only=True)
    report = ReportSummarySerializer(read_only=True)
    themes = ThemeSummarySerializer(many=True, read_only=True)
    examples = ExampleLinkSerializer(source="visible_examples", many=True, read_only=True)
    references = ReferenceLinkSerializer(source="sources", many=True, read_only=True)
    related = RecommendationLinkSerializer(source="visible_related", many=True, read_only=True)
    follow_up = serializers.SerializerMethodField(
        help_text=(
            "Internal owner and target date: null unless the reader may view recommendations "
            "in the admin."
        )
    )
    changed_at = serializers.DateTimeField(
        read_only=True,
        help_text=(
            "The later of `updated_at` and `published_at`: the order and the cursor for an "
            "incremental sync (`ordering=changed_at`, `updated_since=<the last one you saw>`)."
        ),
    )

    class Meta:
        model = Recommendation
        fields = [
            "url",
            "html_url",
            "reference",
            "title",
            "slug",
            "summary",
            "rationale",
            "rationale_html",
            "area",
            "report",
            "themes",
            "status",
            "progress",
            "last_reviewed_on",
            "follow_up",
            "priority",
            "horizon",
            "impact",
            "effort",
            "evidence",
            "source_section",
            "examples",
            "references",
            "related",
            "publication_state",
            "published_at",
            "pending_state",
            "created_at",
            "updated_at",
            "changed_at",
        ]

    @extend_schema_field(FollowUpSerializer(allow_null=True))
    def get_follow_up(self, recommendation):
        if not can_read_internal(self.context):
            return None
        return FollowUpSerializer(recommendation, context=self.context).data


class WithdrawnSerializer(serializers.ModelSerializer):
    """A tombstone: a recommendation that was public and is no longer."""

    url = api_link("recommendation", lookup_field="reference")
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = IssuedReference
        fields = ["url", "html_url", "reference", "withdrawn_at"]

    @extend_schema_field({"type": "string", "format": "uri", "description": "Its former page."})
    def get_html_url(self, issued):
        page = Recommendation(reference=issued.reference).get_absolute_url()
        return self.context["request"].build_absolute_uri(page)


# Writing


class AdminRulesSerializer(serializers.ModelSerializer):
    """Validates with the model's own rules (fields, `clean()`, uniqueness), as the admin does.

    An edit to a published item is not applied: it is kept as the item's pending changes for
    a publisher to review, as in the admin, and `staged` says so afterwards.
    """

    staged = False

    def next_version(self):
        """The item as it stands for an editor: with its pending changes, if any."""
        if self.instance is None:
            return self.Meta.model(), {}
        if hasattr(self.instance, "staged"):
            version, links = self.instance.staged()
            return copy.copy(version), dict(links)
        return copy.copy(self.instance), {}

    def links_of(self, attrs):
        return {name: attrs[name] for name in self.Meta.links if name in attrs}

    def validate(self, attrs):
        candidate, _links = self.next_version()
        for name, value in attrs.items():
            if name not in self.Meta.links:
                setattr(candidate, name, value)
        if "slug" in self.fields and not candidate.slug:
            candidate.slug = attrs["slug"] = slugify(candidate.title)[:255]
        try:
            candidate.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        self.candidate = candidate
        return attrs

    def update(self, instance, validated_data):
        if getattr(instance, "publication_state", None) != PublicationState.PUBLISHED:
            return super().update(instance, validated_data)
        _version, links = self.next_version()
        item_stage_changes(
            item=instance,
            edited=self.candidate,
            links={**links, **self.links_of(validated_data)},
            by=self.context["request"].user,
        )
        self.staged = True
        return instance


class ReferenceWriteSerializer(AdminRulesSerializer):
    web_address = serializers.URLField(
        source="url", required=False, allow_blank=True, max_length=500
    )

    class Meta:
        model = Reference
        fields = ["title", "authors", "year", "publisher", "web_address"]
        links = []


class ExampleWriteSerializer(AdminRulesSerializer):
    slug = serializers.SlugField(
        required=False, max_length=255, help_text="Leave out to make it from the title."
    )
    web_address = serializers.URLField(
        source="url", required=False, allow_blank=True, max_length=500
    )

    class Meta:
        model = Example
        fields = [
            "title",
            "slug",
            "organisation",
            "place",
            "year",
            "summary",
            "description",
            "web_address",
        ]
        links = []


class RecommendationWriteSerializer(AdminRulesSerializer):
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text=(
            "Leave out for the next free one in the area (GOV-1, GOV-2, …). Once issued it "
            "never changes and is never reused."
        ),
    )
    slug = serializers.SlugField(
        required=False, max_length=255, help_text="Leave out to make it from the title."
    )
    area = serializers.SlugRelatedField(slug_field="slug", queryset=Area.objects.all())
    report = serializers.SlugRelatedField(slug_field="slug", queryset=Report.objects.all())
    themes = serializers.SlugRelatedField(
        slug_field="slug", queryset=Theme.objects.all(), many=True, required=False
    )
    examples = serializers.SlugRelatedField(
        slug_field="slug", queryset=Example.objects.all(), many=True, required=False
    )
    references = serializers.PrimaryKeyRelatedField(
        source="sources", queryset=Reference.objects.all(), many=True, required=False
    )
    related = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=Recommendation.objects.all(),
        many=True,
        required=False,
    )

    class Meta:
        model = Recommendation
        fields = [
            "reference",
            "title",
            "slug",
            "summary",
            "rationale",
            "area",
            "report",
            "themes",
            "status",
            "priority",
            "horizon",
            "impact",
            "effort",
            "evidence",
            "source_section",
            "examples",
            "references",
            "related",
        ]
        links = ["themes", "examples", "sources", "related"]

    def validate_reference(self, value):
        if self.instance is not None and not value.strip():
            return self.instance.reference  # blank on an edit keeps the reference it has
        return value.strip().upper()
