import copy
import re
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Avg, Count, Max, Q
from django.db.models.functions import Cast, Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from areas.models import MARKDOWN_HELP, Area, CountingQuerySet, Theme
from cuspe_portal.markdown import render_markdown

from .search import SearchableManager, SearchableQuerySet

REFERENCE_PATTERN = r"[A-Z][A-Z0-9]{0,9}-[1-9][0-9]{0,5}"
YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]


class PublicationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class PendingState(models.TextChoices):
    """Where the unpublished changes to a published item stand."""

    NONE = "", "No unpublished changes"
    DRAFT = "draft", "Changes in draft"
    IN_REVIEW = "in_review", "Changes in review"


class PublishableQuerySet(models.QuerySet):
    def published(self):
        """Only what the public may see: published, with a publication time that has come."""
        return self.filter(
            publication_state=PublicationState.PUBLISHED, published_at__lte=timezone.now()
        )

    def awaiting_review(self):
        """Items, or changes to published items, that an editor has sent for review."""
        return self.filter(
            Q(publication_state=PublicationState.IN_REVIEW)
            | Q(pending_state=PendingState.IN_REVIEW)
        )

    def scheduled(self):
        """Published items whose publication time is still to come."""
        return self.filter(
            publication_state=PublicationState.PUBLISHED, published_at__gt=timezone.now()
        )

    def with_change_time(self):
        """Annotate `changed_at`: the later of its last edit and its going public."""
        return self.annotate(
            changed_at=Greatest("updated_at", Coalesce("published_at", "updated_at"))
        )

    def changed_since(self, moment):
        """Items edited, or gone public, at or after `moment`: what an incremental sync needs."""
        return self.with_change_time().filter(changed_at__gte=moment)


class Publishable(models.Model):
    """Publication state and time, shared by everything the public may or may not see.

    A published item's row is what the public sees. Edits to it wait in `pending_changes`
    (the fields and many-to-many links of the next version) until a publisher publishes them,
    as in Wagtail: the public keeps the last published version meanwhile.
    """

    publication_state = models.CharField(
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
        help_text=(
            "Draft, then in review, then published (by a publisher), then archived. Only "
            "published items appear on the public site and API."
        ),
    )
    published_at = models.DateTimeField(
        "publication time",
        null=True,
        blank=True,
        help_text=(
            "When it goes public. Leave blank to publish at once; a future time schedules it: "
            "it appears by itself at that moment."
        ),
    )
    pending_changes = models.JSONField(null=True, blank=True, editable=False)
    pending_state = models.CharField(
        max_length=20, choices=PendingState.choices, blank=True, default="", editable=False
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.publication_state == PublicationState.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    @property
    def is_published(self):
        """True when the public can see it now."""
        return (
            self.publication_state == PublicationState.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self):
        return (
            self.publication_state == PublicationState.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    def render_markdown_fields(self):
        """Refresh the stored HTML of the item's Markdown fields (each model says which)."""

    def staged(self):
        """The next version: an unsaved copy with the pending changes applied, and its links.

        Links map each many-to-many field's name to a list of ids; they are empty when
        nothing is pending, and the caller reads the saved links instead.
        """
        if not self.pending_changes:
            return self, {}
        version = copy.copy(self)
        for name, value in self.pending_changes["fields"].items():
            field = self._meta.get_field(name)
            setattr(version, field.attname, field.to_python(value))
        version.render_markdown_fields()
        return version, self.pending_changes.get("links", {})

    @property
    def workflow_label(self):
        """The state in words for editors, e.g. "Published, changes in review"."""
        if self.is_scheduled:
            local = timezone.localtime(self.published_at)
            return f"Scheduled for {local:%d %b %Y %H:%M}"
        label = self.get_publication_state_display()
        if self.pending_state:
            return f"{label}, {self.get_pending_state_display().lower()}"
        return label


class ReportQuerySet(CountingQuerySet):
    recommendation_lookup = "report"


class Report(models.Model):
    """A source document whose recommendations the portal holds (the CUSPE report is the first)."""

    title = models.CharField(max_length=255)
    short_title = models.CharField(
        max_length=80, help_text="Used where space is short, such as filter lists and citations."
    )
    slug = models.SlugField(max_length=80, unique=True)
    year = models.PositiveSmallIntegerField(validators=YEAR_VALIDATORS)
    commissioning_body = models.CharField(
        max_length=255, blank=True, help_text="Who asked for the report."
    )
    question = models.TextField(blank=True, help_text="The question the report set out to answer.")
    summary = models.TextField(blank=True, help_text=MARKDOWN_HELP)
    summary_html = models.TextField(blank=True, editable=False)
    period = models.CharField(
        max_length=100, blank=True, help_text="When the work was done, e.g. October 2016 to 2017."
    )
    url = models.URLField("web address", blank=True, help_text="Where the report can be read.")
    is_demonstration = models.BooleanField(
        "demonstration content",
        default=False,
        help_text=(
            "Tick for sample content made up to try the portal. Its pages then say plainly that "
            "it is not council policy."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["is_demonstration", "-year", "title"]

    def __str__(self):
        return self.short_title or self.title

    def save(self, *args, **kwargs):
        self.summary_html = render_markdown(self.summary)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{reverse('recommendations:list')}?report={self.slug}"


class ReferenceQuerySet(SearchableQuerySet):
    search_fields = {"A": ["title"], "B": ["authors", "publisher"]}
    search_snippet_fields = ["authors", "publisher"]

    def cited_publicly(self):
        """References that at least one published recommendation cites."""
        cited = Recommendation.objects.published().filter(sources=models.OuterRef("pk"))
        return self.filter(models.Exists(cited))


class Reference(models.Model):
    """A piece of literature or evidence that recommendations cite."""

    title = models.CharField(max_length=500)
    authors = models.CharField(max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    publisher = models.CharField(
        max_length=255, blank=True, help_text="Publisher, journal or organisation."
    )
    url = models.URLField("web address", blank=True, max_length=500)
    # The weighted words full-text search reads, kept by the database (see search.py).
    search_document = SearchVectorField(null=True, editable=False, serialize=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["search_document"])

    objects = SearchableManager.from_queryset(ReferenceQuerySet)()

    class Meta:
        ordering = ["title"]
        verbose_name = "reference (literature)"
        verbose_name_plural = "references (literature)"
        # The API's Last-Modified reads the latest edit (cuspe_portal/viewsets.py `latest()`).
        indexes = [models.Index(fields=["updated_at"], name="reference_updated_idx")]

    def __str__(self):
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def citation(self):
        """Authors (year) Title. Publisher. — the form a reader expects in a reference list."""
        parts = [f"{self.authors} ({self.year})" if self.year else self.authors, self.title]
        return ". ".join(part for part in [*parts, self.publisher] if part) + "."


class ExampleQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_fields = {
        "A": ["title"],
        "B": ["summary", "organisation", "place"],
        "C": ["description"],
    }
    search_snippet_fields = ["summary", "description"]


class Example(Publishable):
    """A case study that illustrates one or more recommendations."""

    title = models.CharField(max_length=255)
    slug = models.SlugField(
        max_length=255, unique=True, help_text="The example's web address: /examples/<slug>/."
    )
    organisation = models.CharField(max_length=255, blank=True)
    place = models.CharField(max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    summary = models.TextField(blank=True, help_text="One or two sentences for lists.")
    description = models.TextField(blank=True, help_text=MARKDOWN_HELP)
    description_html = models.TextField(blank=True, editable=False)
    url = models.URLField("web address", blank=True, max_length=500)
    # The weighted words full-text search reads, kept by the database (see search.py).
    search_document = SearchVectorField(null=True, editable=False, serialize=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["search_document"])
    objects = SearchableManager.from_queryset(ExampleQuerySet)()

    class Meta:
        ordering = ["title"]
        permissions = [("publish_example", "Can publish, unpublish, archive and schedule examples")]
        # The API's Last-Modified reads the latest edit (cuspe_portal/viewsets.py `latest()`).
        indexes = [models.Index(fields=["updated_at"], name="example_updated_idx")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.render_markdown_fields()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("recommendations:example-detail", kwargs={"slug": self.slug})

    def render_markdown_fields(self):
        self.description_html = render_markdown(self.description)


class IssuedReferenceQuerySet(models.QuerySet):
    def withdrawn(self):
        """References whose recommendation left the public site and has not come back."""
        public = Recommendation.objects.published().values("reference")
        return self.filter(withdrawn_at__isnull=False).exclude(reference__in=public)

    def issue(self, *, prefix, requested=""):
        """Reserve a reference for good: the one requested, or the next free one for `prefix`.

        Every reference ever issued stays in this table, so a deleted recommendation's
        reference is never given to another.
        """
        if requested:
            match = re.fullmatch(r"([A-Z][A-Z0-9]*)-(\d+)", requested)
            prefix, number = (match[1], int(match[2])) if match else (requested, None)
            try:
                with transaction.atomic():
                    return self.create(reference=requested, prefix=prefix, number=number)
            except IntegrityError:
                raise ValidationError(
                    {"reference": f"{requested} has been used before and cannot be reused."}
                ) from None
        for _attempt in range(5):
            last = self.filter(prefix=prefix).aggregate(last=Max("number"))["last"] or 0
            try:
                with transaction.atomic():
                    return self.create(
                        reference=f"{prefix}-{last + 1}", prefix=prefix, number=last + 1
                    )
            except IntegrityError:  # another editor took that number a moment ago
                continue
        raise RuntimeError(f"Could not issue a reference for {prefix}; try again.")


class IssuedReference(models.Model):
    """Every recommendation reference ever issued, so none is ever reused."""

    reference = models.CharField(max_length=20, unique=True)
    prefix = models.CharField(max_length=10, db_index=True)
    number = models.PositiveIntegerField(null=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its recommendation left the public site (deleted or unpublished).",
    )

    objects = IssuedReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["prefix", "number"]
        # The API's Last-Modified reads the latest withdrawal; the tombstone list reads them all.
        indexes = [
            models.Index(
                fields=["withdrawn_at"],
                condition=Q(withdrawn_at__isnull=False),
                name="issuedreference_withdrawn_idx",
            )
        ]

    def __str__(self):
        return self.reference


SORT_CHOICES = [
    ("reference", "Reference"),
    ("title", "Title (A to Z)"),
    ("-updated", "Recently updated"),
    ("priority", "Priority (high first)"),
]


class RecommendationQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_fields = {"A": ["reference", "title"], "B": ["summary"], "C": ["rationale"]}
    search_exact_fields = ["reference"]
    search_snippet_fields = ["summary", "rationale"]

    def in_area(self, area):
        """Recommendations in the given area (an Area or its slug)."""
        if isinstance(area, Area):
            return self.filter(area=area)
        return self.filter(area__slug=area)

    def with_theme(self, theme):
        """Recommendations tagged with the given theme (a Theme or its slug)."""
        if isinstance(theme, Theme):
            return self.filter(themes=theme)
        return self.filter(themes__slug=theme)

    def from_report(self, report):
        """Recommendations made by the given report (a Report or its slug)."""
        if isinstance(report, Report):
            return self.filter(report=report)
        return self.filter(report__slug=report)

    def ordered_by(self, sort):
        """Order by one of SORT_CHOICES' keys; reference order (area, then number) otherwise."""
        if sort == "title":
            return self.order_by("title", "pk")
        if sort == "-updated":
            return self.order_by("-updated_at", "pk")
        if sort == "priority":
            rank = models.Case(
                *(
                    models.When(priority=value, then=position)
                    for position, value in enumerate(Recommendation.Priority.values)
                ),
                default=len(Recommendation.Priority.values),
            )
            return self.alias(priority_rank=rank).order_by(
                "priority_rank", "area__position", "number"
            )
        return self.order_by("area__position", "number", "pk")

    def needs_review(self):
        """Not reviewed (no progress update) within PORTAL_REVIEW_AFTER_DAYS, or never."""
        due = timezone.localdate() - timedelta(days=settings.PORTAL_REVIEW_AFTER_DAYS)
        return self.filter(Q(last_reviewed_on__lt=due) | Q(last_reviewed_on__isnull=True))

    def status_counts(self):
        """{status: how many} over these recommendations."""
        rows = self.order_by().values_list("status").annotate(total=Count("pk", distinct=True))
        return dict(rows)

    def status_counts_by(self, field, groups):
        """[(group, {status: how many})] for each of `groups` (areas or themes), in order."""
        rows = (
            self.order_by().values_list(field, "status").annotate(total=Count("pk", distinct=True))
        )
        counts = defaultdict(dict)
        for group_id, status, total in rows:
            counts[group_id][status] = total
        return [(group, counts.get(group.pk, {})) for group in groups]

    def mean_progress_by_area(self, areas):
        """[(area, mean progress %, or None)]: an implemented one without a figure counts as
        100%, one with no figure 0%; those not taken forward are left out."""
        effective = Coalesce(
            "progress",
            models.Case(models.When(status=Recommendation.Status.IMPLEMENTED, then=100), default=0),
        )
        rows = dict(
            self.exclude(status=Recommendation.Status.NOT_TAKEN_FORWARD)
            .order_by()
            .values_list("area")
            .annotate(mean=Avg(effective))
        )
        return [(area, round(rows[area.pk]) if area.pk in rows else None) for area in areas]

    def overdue(self):
        """Past their target date and not yet implemented (or dropped)."""
        return self.filter(target_date__lt=timezone.localdate()).exclude(
            status__in=[Recommendation.Status.IMPLEMENTED, Recommendation.Status.NOT_TAKEN_FORWARD]
        )

    def with_summary_relations(self):
        """Fetch what a list row shows (area, report, themes) in a fixed number of queries."""
        return self.select_related("area", "report").prefetch_related("themes")

    def counts_by_area_and_theme(self):
        """{(area id, theme id): how many}, in one query; theme id None counts the untagged."""
        rows = self.order_by().values_list("area", "themes").annotate(total=Count("pk"))
        return {(area, theme): total for area, theme, total in rows}

    def counted_by(self, field):
        """These recommendations counted per value of `field` (a column, or a relation such as
        `themes`) with one GROUP BY: rows of (field, value as text, how many), which
        `grouped_counts()` runs with others in one query.

        A recommendation counts once per value. Only a queryset filtered across a
        many-to-many join can repeat one, and such querysets are distinct (as the theme filter
        makes them): then the count is COUNT(DISTINCT id); otherwise COUNT(*), which
        PostgreSQL can answer from an index without reading the rows.
        """
        total = Count("pk", distinct=True) if self.query.distinct else Count("*")
        return (
            self.order_by()
            .annotate(
                counted_field=models.Value(field),
                counted_value=Cast(field, output_field=models.TextField()),
            )
            .values("counted_field", "counted_value")
            .annotate(total=total)
            .values_list("counted_field", "counted_value", "total")
        )


def grouped_counts(counted):
    """{field: {value: how many}} for `counted` ({field: recommendations to count by it}), in
    one query: a GROUP BY per field (`counted_by()`), joined by UNION ALL.

    Values come back in the field's own type (ids, for relations); a value no recommendation
    has, and the missing theme of an untagged one, are left out.
    """
    parts = [recommendations.counted_by(field) for field, recommendations in counted.items()]
    counts = {field: {} for field in counted}
    for field, value, total in parts[0].union(*parts[1:], all=True):
        if value is not None:
            model_field = Recommendation._meta.get_field(field)
            if model_field.is_relation:
                model_field = model_field.target_field
            counts[field][model_field.to_python(value)] = total
    return counts


class Recommendation(Publishable):
    """One recommendation of a report, in one area, with its rationale and how it is going."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        UNDER_CONSIDERATION = "under_consideration", "Under consideration"
        ACCEPTED = "accepted", "Accepted"
        IN_PROGRESS = "in_progress", "In progress"
        IMPLEMENTED = "implemented", "Implemented"
        NOT_TAKEN_FORWARD = "not_taken_forward", "Not taken forward"

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Horizon(models.TextChoices):
        SHORT = "short", "Short term"
        MEDIUM = "medium", "Medium term"
        LONG = "long", "Long term"

    class Scale(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Evidence(models.TextChoices):
        LIMITED = "limited", "Limited"
        MODERATE = "moderate", "Moderate"
        STRONG = "strong", "Strong"

    report = models.ForeignKey(
        Report,
        on_delete=models.PROTECT,
        related_name="recommendations",
        help_text="The document this recommendation comes from.",
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="recommendations",
        help_text="Moving it to another area keeps its reference.",
    )
    reference = models.CharField(
        max_length=20,
        unique=True,
        blank=True,
        validators=[
            RegexValidator(
                rf"^{REFERENCE_PATTERN}$",
                "Use the area code, a hyphen and a number, such as GOV-3.",
            )
        ],
        help_text=(
            "Leave blank and the next free reference for the area (GOV-1, GOV-2, …) is given. "
            "Once given, it never changes and is never reused."
        ),
    )
    number = models.PositiveIntegerField(null=True, editable=False)
    title = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, help_text="Filled in from the title.")
    summary = models.TextField(
        help_text="One paragraph in plain words: what the council should do, and to what end."
    )
    rationale = models.TextField(
        blank=True, help_text=f"Why: the reasoning and evidence. {MARKDOWN_HELP}"
    )
    rationale_html = models.TextField(blank=True, editable=False)
    themes = models.ManyToManyField(Theme, blank=True, related_name="recommendations")
    related = models.ManyToManyField(
        "self",
        blank=True,
        symmetrical=True,
        help_text="Recommendations in any area that go with this one. The link works both ways.",
    )
    examples = models.ManyToManyField(
        Example,
        blank=True,
        related_name="recommendations",
        help_text="Case studies that illustrate this recommendation.",
    )
    sources = models.ManyToManyField(
        Reference,
        blank=True,
        related_name="recommendations",
        verbose_name="references",
        help_text="Literature and evidence this recommendation cites.",
    )
    source_section = models.CharField(
        max_length=255,
        blank=True,
        help_text="Where in the report it is made: section, page or paragraph, e.g. '4.2, p. 17'.",
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    horizon = models.CharField("time horizon", max_length=10, choices=Horizon.choices, blank=True)
    impact = models.CharField("expected impact", max_length=10, choices=Scale.choices, blank=True)
    effort = models.CharField(max_length=10, choices=Scale.choices, blank=True)
    evidence = models.CharField(
        "strength of evidence", max_length=10, choices=Evidence.choices, blank=True
    )
    status = models.CharField(
        max_length=30,
        choices=Status.choices,
        default=Status.PROPOSED,
        help_text=(
            "What the council has decided or done about it. Recording a progress update sets "
            "it for you."
        ),
    )
    progress = models.PositiveSmallIntegerField(
        "progress (%)",
        null=True,
        blank=True,
        editable=False,
        validators=[MaxValueValidator(100)],
        help_text="From the latest progress update that gives one.",
    )
    last_reviewed_on = models.DateField(
        null=True, blank=True, editable=False, help_text="The date of the latest progress update."
    )
    # Internal: never on public pages, feeds, exports or the anonymous API.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_recommendations",
        help_text="Internal. The officer who follows it up; they see their items first.",
    )
    owner_team = models.CharField(
        "owning directorate or team",
        max_length=255,
        blank=True,
        help_text="Internal. The directorate or team responsible.",
    )
    owner_contact = models.CharField(
        max_length=255, blank=True, help_text="Internal. How to reach the owner (email or phone)."
    )
    target_date = models.DateField(
        null=True, blank=True, help_text="Internal. When it should be implemented by."
    )
    # The weighted words full-text search reads, kept by the database (see search.py).
    search_document = SearchVectorField(null=True, editable=False, serialize=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Fields only staff see; an edit to them takes effect at once, even on a published item.
    INTERNAL_FIELDS = ("owner", "owner_team", "owner_contact", "target_date")

    # Every field is kept (the stored HTML too) but the search document, which the database
    # derives. A link added from the other side of a tracked many-to-many field (an example's
    # or a reference's) is recorded with this model's exclusions, so Example and Reference
    # must exclude exactly the same field, or simple-history fails.
    history = HistoricalRecords(
        m2m_fields=[themes, examples, sources], excluded_fields=["search_document"]
    )
    objects = SearchableManager.from_queryset(RecommendationQuerySet)()

    class Meta:
        ordering = ["area__position", "number", "reference"]
        permissions = [
            (
                "publish_recommendation",
                "Can publish, unpublish, archive and schedule recommendations",
            )
        ]
        indexes = [
            models.Index(fields=["publication_state", "published_at"]),
            # The public pages count and filter published rows by these columns: with all of
            # them in one partial index, PostgreSQL counts an area, a status or a facet option
            # from the index alone, without reading the (wide) rows; `id` lets the themes'
            # counts join their through table from it too.
            models.Index(
                fields=["area", "status", "published_at", "priority", "horizon", "report", "id"],
                condition=Q(publication_state=PublicationState.PUBLISHED),
                name="recommendation_published_idx",
            ),
            # The API's Last-Modified reads the latest edit of a published recommendation.
            models.Index(
                fields=["updated_at"],
                condition=Q(publication_state=PublicationState.PUBLISHED),
                name="recommendation_updated_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(publication_state=PublicationState.PUBLISHED)
                | Q(published_at__isnull=False),
                name="published_recommendation_has_publication_time",
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}" if self.reference else self.title

    def save(self, *args, **kwargs):
        self.render_markdown_fields()
        saved = self.issued_reference()
        if saved:
            self.reference = saved  # a reference, once issued, never changes
            super().save(*args, **kwargs)
            return
        with transaction.atomic():  # no reference is used up by a save that fails
            issued = IssuedReference.objects.issue(
                prefix=self.area.code, requested=(self.reference or "").strip().upper()
            )
            self.reference, self.number = issued.reference, issued.number
            super().save(*args, **kwargs)
        self._saved_reference = self.reference

    def get_absolute_url(self):
        return reverse("recommendations:detail", kwargs={"reference": self.reference})

    def render_markdown_fields(self):
        self.rationale_html = render_markdown(self.rationale)

    @property
    def needs_review(self):
        """Published and not reviewed within PORTAL_REVIEW_AFTER_DAYS (or never)."""
        due = timezone.localdate() - timedelta(days=settings.PORTAL_REVIEW_AFTER_DAYS)
        return self.is_published and (self.last_reviewed_on is None or self.last_reviewed_on < due)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "reference" in instance.__dict__:  # not deferred: no query needed later
            instance._saved_reference = instance.reference
        return instance

    def issued_reference(self):
        """The reference this recommendation already holds in the database ("" if new)."""
        if not hasattr(self, "_saved_reference"):
            self._saved_reference = (
                Recommendation.objects.filter(pk=self.pk)
                .values_list("reference", flat=True)
                .first()
                if self.pk
                else None
            ) or ""
        return self._saved_reference

    def clean(self):
        saved = self.issued_reference()
        self.reference = (self.reference or "").strip().upper()
        if saved and self.reference != saved:
            raise ValidationError({"reference": f"The reference {saved} cannot be changed."})
        if not saved and self.reference:
            if IssuedReference.objects.filter(reference=self.reference).exists():
                raise ValidationError(
                    {"reference": f"{self.reference} has been used before and cannot be reused."}
                )


class ProgressUpdateQuerySet(models.QuerySet):
    def public(self):
        """Updates the public may read (not internal notes)."""
        return self.filter(is_public=True)

    def latest_first(self):
        """Newest first: by date, then by when it was entered."""
        return self.order_by("-date", "-created_at", "-pk")


class ProgressUpdate(models.Model):
    """What the council did about a recommendation, when, and where that leaves it."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="updates"
    )
    date = models.DateField(default=timezone.localdate, help_text="When this was the position.")
    status = models.CharField(
        "status after this update",
        max_length=30,
        choices=Recommendation.Status.choices,
        help_text="The recommendation's status from now on.",
    )
    progress = models.PositiveSmallIntegerField(
        "progress (%)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Optional: how far implementation has got, 0 to 100.",
    )
    note = models.TextField(
        blank=True,
        help_text=(
            "What was done, what is next, and why the status is what it is. " + MARKDOWN_HELP
        ),
    )
    note_html = models.TextField(blank=True, editable=False)
    is_public = models.BooleanField(
        "public",
        default=True,
        help_text="Untick for an internal note: it is never shown on the site, feeds or API.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="progress_updates",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-created_at", "-pk"]
        indexes = [models.Index(fields=["recommendation", "-date"])]

    def __str__(self):
        return f"{self.recommendation.reference}: {self.get_status_display()} on {self.date}"

    def save(self, *args, **kwargs):
        self.note_html = render_markdown(self.note)
        super().save(*args, **kwargs)


class PublicChangeQuerySet(models.QuerySet):
    def visible(self):
        """Changes that have happened: a scheduled publication counts from its time."""
        return self.filter(at__lte=timezone.now())

    def since(self, moment):
        """Changes at or after `moment`."""
        return self.filter(at__gte=moment)

    def in_area(self, area):
        """Changes to recommendations of one area."""
        return self.filter(recommendation__area=area)

    def with_theme(self, theme):
        """Changes to recommendations with one theme."""
        return self.filter(recommendation__themes=theme)


class PublicChange(models.Model):
    """One thing the public saw change, for /changes/ and the Atom feeds.

    Written by the workflow when content goes public, changes in public, leaves the site,
    or gets a public progress update; never for drafts or internal notes.
    """

    class Kind(models.TextChoices):
        PUBLISHED = "published", "Published"
        CHANGED = "changed", "Changed"
        ARCHIVED = "archived", "Archived"
        WITHDRAWN = "withdrawn", "Withdrawn"
        PROGRESS = "progress", "Progress update"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    # SET_NULL: when an item is deleted, the record of its leaving the site stays.
    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="public_changes",
    )
    example = models.ForeignKey(
        Example, on_delete=models.SET_NULL, null=True, blank=True, related_name="public_changes"
    )
    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300, help_text="The item's title when it changed.")
    description = models.CharField(max_length=500, blank=True)

    objects = PublicChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

    def get_absolute_url(self):
        item = self.recommendation or self.example
        return item.get_absolute_url() if item else ""
