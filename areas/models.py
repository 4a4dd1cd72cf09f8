from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from simple_history.models import HistoricalRecords

from cuspe_portal.markdown import render_markdown

MARKDOWN_HELP = (
    "Markdown: a blank line starts a new paragraph; **bold**, *italic*, [link text](https://…), "
    "lists start with '- ' or '1. ', sub-headings with '## '. HTML is not allowed and is shown "
    "as typed."
)


class CountingQuerySet(models.QuerySet):
    """Shared by areas and themes: both list how many recommendations they hold."""

    recommendation_lookup = ""

    def with_recommendation_counts(self, recommendations):
        """Annotate `recommendation_count`: how many of `recommendations` fall in each row.

        One count per row, which an index answers for a foreign key (PostgreSQL reads the
        published rows of an area from a partial index, not from the table); for themes, a
        many-to-many field, one GROUP BY (`counted()`) costs less. Counted distinct when
        `recommendations` may repeat a recommendation: when filtered across a many-to-many
        join, which makes a queryset distinct (as the theme filter does).
        """
        total = Count("pk", distinct=True) if recommendations.query.distinct else Count("*")
        counts = (
            recommendations.filter(**{self.recommendation_lookup: OuterRef("pk")})
            .order_by()
            .values(self.recommendation_lookup)
            .annotate(total=total)
            .values("total")
        )
        return self.annotate(recommendation_count=Coalesce(Subquery(counts), 0))

    def counted(self, counts):
        """The rows, each with `recommendation_count` from `counts` ({pk: how many}, as one
        GROUP BY gives them); a row it does not name counts 0."""
        rows = list(self)
        for row in rows:
            row.recommendation_count = counts.get(row.pk, 0)
        return rows


class AreaQuerySet(CountingQuerySet):
    recommendation_lookup = "area"


class Area(models.Model):
    """One of the report's areas of recommendation, such as Governance."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="The area's web address: /areas/<slug>/. Changing it breaks people's links.",
    )
    code = models.CharField(
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,6}$", "Use 2 to 6 capital letters, such as GOV.")],
        help_text=(
            "The prefix of this area's recommendation references, such as GOV for GOV-1. "
            "References already issued keep their prefix if you change it."
        ),
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Areas are listed in this order, lowest first."
    )
    summary = models.CharField(
        max_length=300, blank=True, help_text="One or two sentences, shown on the area's card."
    )
    description = models.TextField(blank=True, help_text=MARKDOWN_HELP)
    description_html = models.TextField(blank=True, editable=False)
    source_url = models.URLField(
        "source",
        blank=True,
        help_text="Where the description's facts come from, so readers can check them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("recommendations:area-detail", kwargs={"slug": self.slug})


class ThemeQuerySet(CountingQuerySet):
    recommendation_lookup = "themes"


class Theme(models.Model):
    """A cross-cutting theme, such as "citizen-focused", that recommendations in any area share."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="The theme's web address: /themes/<slug>/. Changing it breaks people's links.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Themes are listed in this order, lowest first."
    )
    summary = models.CharField(max_length=300, blank=True, help_text="One sentence.")
    description = models.TextField(blank=True, help_text=MARKDOWN_HELP)
    description_html = models.TextField(blank=True, editable=False)
    source_url = models.URLField(
        "source", blank=True, help_text="Where the theme comes from, so readers can check it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    objects = ThemeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("recommendations:theme-detail", kwargs={"slug": self.slug})
