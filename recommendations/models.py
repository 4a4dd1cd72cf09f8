import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from areas.models import MARKDOWN_HELP, Area, Theme
from cuspe_portal.markdown import render_markdown

REFERENCE_PATTERN = r"[A-Z][A-Z0-9]{0,9}-[1-9][0-9]{0,5}"
YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]


class PublicationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class PublishableQuerySet(models.QuerySet):
    def published(self):
        """Only what the public may see: published, with a publication time that has come."""
        return self.filter(
            publication_state=PublicationState.PUBLISHED, published_at__lte=timezone.now()
        )


class Publishable(models.Model):
    """Publication state and time, shared by everything the public may or may not see."""

    publication_state = models.CharField(
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
        help_text="Only published items appear on the public site and API.",
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it was first published. Filled in for you when you publish.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.publication_state == PublicationState.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    @property
    def is_published(self):
        return (
            self.publication_state == PublicationState.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )


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

    class Meta:
        ordering = ["is_demonstration", "-year", "title"]

    def __str__(self):
        return self.short_title or self.title

    def save(self, *args, **kwargs):
        self.summary_html = render_markdown(self.summary)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{reverse('recommendations:list')}?report={self.slug}"


class Reference(models.Model):
    """A piece of literature or evidence that recommendations cite."""

    title = models.CharField(max_length=500)
    authors = models.CharField(max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, validators=YEAR_VALIDATORS)
    publisher = models.CharField(
        max_length=255, blank=True, help_text="Publisher, journal or organisation."
    )
    url = models.URLField("web address", blank=True, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "reference (literature)"
        verbose_name_plural = "references (literature)"

    def __str__(self):
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def citation(self):
        """Authors (year) Title. Publisher. — the form a reader expects in a reference list."""
        parts = [f"{self.authors} ({self.year})" if self.year else self.authors, self.title]
        return ". ".join(part for part in [*parts, self.publisher] if part) + "."


class ExampleQuerySet(PublishableQuerySet):
    pass


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExampleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("recommendations:example-detail", kwargs={"slug": self.slug})


class IssuedReferenceQuerySet(models.QuerySet):
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

    def __str__(self):
        return self.reference


SORT_CHOICES = [
    ("reference", "Reference"),
    ("title", "Title (A to Z)"),
    ("-updated", "Recently updated"),
    ("priority", "Priority (high first)"),
]


class RecommendationQuerySet(PublishableQuerySet):
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

    def matching(self, words):
        """Recommendations whose reference, title, summary or rationale contain every word."""
        for word in words.split():
            self = self.filter(
                Q(reference__iexact=word)
                | Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Q(rationale__icontains=word)
            )
        return self

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

    def with_summary_relations(self):
        """Fetch what a list row shows (area, report, themes) in a fixed number of queries."""
        return self.select_related("area", "report").prefetch_related("themes")


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
        help_text="What the council has decided or done about it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["area__position", "number", "reference"]
        indexes = [models.Index(fields=["publication_state", "published_at"])]
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
        self.rationale_html = render_markdown(self.rationale)
        saved = getattr(self, "_saved_reference", None)
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

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._saved_reference = instance.__dict__.get("reference")
        return instance

    def clean(self):
        saved = getattr(self, "_saved_reference", None)
        self.reference = (self.reference or "").strip().upper()
        if saved and self.reference != saved:
            raise ValidationError({"reference": f"The reference {saved} cannot be changed."})
        if not saved and self.reference:
            if IssuedReference.objects.filter(reference=self.reference).exists():
                raise ValidationError(
                    {"reference": f"{self.reference} has been used before and cannot be reused."}
                )
