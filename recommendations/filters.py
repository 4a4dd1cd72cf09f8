"""The one FilterSet behind the recommendations page, its exports and the API."""

from dataclasses import dataclass
from datetime import UTC, timedelta

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet

from areas.models import Area, Theme

from .models import SORT_CHOICES, IssuedReference, Recommendation, Report, grouped_counts

# The API's `ordering` choices, and the fields each sorts by.
ORDERING_FIELDS = {
    "reference": ["area__position", "number"],
    "title": ["title"],
    "updated_at": ["updated_at"],
    "changed_at": ["changed_at"],
}


class MomentField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time the database can compare: its UTC offset within ±14 hours (the
    widest any place uses) and its year between 1 and 9999."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is not None and moment.utcoffset() is not None:
            if abs(moment.utcoffset()) > timedelta(hours=14):
                raise ValidationError(
                    "The time zone offset must be between -14:00 and +14:00.", code="invalid"
                )
            try:
                moment.astimezone(UTC)
            except OverflowError:
                raise ValidationError(
                    "Enter a date and time between the years 1 and 9999.", code="invalid"
                ) from None
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentField


def not_one_of(things):
    """Error messages for a choice filter, naming the value that is not one of `things`."""
    message = f"“%(value)s” is not one of the {things}. Choose from the list."
    return {"invalid_choice": message, "invalid_pk_value": message.replace("%(value)s", "%(pk)s")}


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    chosen: bool


@dataclass
class Facet:
    """One filter as a page offers it: its options, each with a count of matches."""

    name: str
    label: str
    multiple: bool
    options: list[FacetOption]
    error: str = ""

    @property
    def chosen_options(self):
        return [option for option in self.options if option.chosen]


# The filters a page offers as facets, in the order it shows them.
FACETS = ["area", "theme", "status", "priority", "horizon", "report"]
RELATED_FACETS = {
    "area": lambda: Area.objects.all(),
    "theme": lambda: Theme.objects.all(),
    "report": lambda: Report.objects.all(),
}
SORTING_FILTERS = {"sort", "ordering"}


class ChosenObjectsFilter(django_filters.ModelMultipleChoiceFilter):
    """Rows linked to any of the chosen objects (which the form finds by `to_field_name`).

    django-filter's own class compares the field with the chosen objects' slugs, which a
    foreign key or many-to-many field cannot match; this compares it with the objects.
    """

    def get_filter_predicate(self, v):
        return {self.field_name: v}


class RecommendationFilter(django_filters.FilterSet):
    # Only area, theme and report can repeat a row (themes is many-to-many), so only the theme
    # filter needs DISTINCT; the others filter on columns of the row itself.
    area = ChosenObjectsFilter(
        queryset=Area.objects.all(),
        to_field_name="slug",
        distinct=False,
        label="Area",
        help_text="Area slug; repeat for several areas (any of them matches).",
        error_messages=not_one_of("areas"),
    )
    theme = ChosenObjectsFilter(
        field_name="themes",
        queryset=Theme.objects.all(),
        to_field_name="slug",
        distinct=True,
        label="Theme",
        help_text="Theme slug; repeat for several themes (any of them matches).",
        error_messages=not_one_of("themes"),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Recommendation.Status.choices,
        distinct=False,
        error_messages=not_one_of("statuses"),
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Recommendation.Priority.choices,
        distinct=False,
        error_messages=not_one_of("priorities"),
    )
    horizon = django_filters.MultipleChoiceFilter(
        choices=Recommendation.Horizon.choices,
        distinct=False,
        label="Time horizon",
        error_messages=not_one_of("time horizons"),
    )
    report = django_filters.ModelChoiceFilter(
        queryset=Report.objects.all(),
        to_field_name="slug",
        label="Report",
        error_messages=not_one_of("reports"),
    )
    q = django_filters.CharFilter(
        method="filter_words",
        label="Words",
        max_length=200,
        error_messages={"max_length": "Enter 200 characters or fewer to search for."},
    )
    updated_since = MomentFilter(
        method="filter_changed_since",
        label="Updated since",
        help_text=(
            "ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z: recommendations edited, or gone "
            "public, since then."
        ),
        error_messages={"invalid": "Enter a date and time such as 2026-11-01T00:00:00Z."},
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES,
        method="filter_sort",
        empty_label=None,
        label="Sort by",
        error_messages=not_one_of("ways to sort"),
    )
    # The API's sort (the page's is `sort`); every ordering ends on the id, so pages are stable.
    ordering = django_filters.OrderingFilter(
        fields={name: name for name in ORDERING_FIELDS},
        method="filter_ordering",
        help_text=(
            "Comma-separated; a leading - reverses. `changed_at` is the order for an incremental "
            "sync; `reference` sorts by area, then number."
        ),
    )

    class Meta:
        model = Recommendation
        fields = ["area", "theme", "status", "priority", "horizon", "report", "q"]

    def filter_words(self, queryset, name, value):
        return queryset.matching(value)

    def filter_sort(self, queryset, name, value):
        return queryset.ordered_by(value)

    def queryset_without(self, *names):
        """The queryset with every valid filter applied except `names`, unsorted."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name not in names and name not in SORTING_FILTERS:
                queryset = self.filters[name].filter(queryset, value)
        return queryset.order_by()

    def chosen(self, name):
        """The values (slugs for areas, themes and reports) chosen and valid for a filter."""
        value = self.form.cleaned_data.get(name)
        if value in (None, "", [], ()):
            return set()
        values = value if isinstance(value, list | tuple | set | QuerySet) else [value]
        return {getattr(item, "slug", item) for item in values}

    def facets(self, *, omit=()):
        """Each facet's options with how many recommendations each gives, the other filters
        being as they are (so a count is what ticking that option alone would show).

        A fixed number of queries whatever the rows: one for each related-model facet's
        options, and one for every facet's counts (a GROUP BY per facet, over the rows the
        other filters give, joined by UNION ALL).
        """
        self.errors  # noqa: B018 -- validate, so cleaned_data holds the valid filters
        names = [name for name in FACETS if name not in omit]
        counts = grouped_counts(
            {self.filters[name].field_name: self.queryset_without(name) for name in names}
        )
        facets = []
        for name in names:
            counted = counts[self.filters[name].field_name]
            if name in RELATED_FACETS:
                options = [
                    (row.slug, str(row), counted.get(row.pk, 0)) for row in RELATED_FACETS[name]()
                ]
            else:
                options = [
                    (value, label, counted.get(value, 0))
                    for value, label in self.filters[name].extra["choices"]
                ]
            facets.append(self._facet(name, options))
        return facets

    def _facet(self, name, options):
        chosen = self.chosen(name)
        return Facet(
            name=name,
            label=self.filters[name].label or name.capitalize(),
            multiple=not isinstance(self.filters[name], django_filters.ModelChoiceFilter),
            options=[
                FacetOption(value=value, label=label, count=count, chosen=value in chosen)
                for value, label, count in options
            ],
            error=" ".join(self.errors.get(name, [])),
        )

    def filter_changed_since(self, queryset, name, value):
        return queryset.changed_since(value)

    def filter_ordering(self, queryset, name, value):
        keys = []
        for choice in value:
            for field in ORDERING_FIELDS[choice.lstrip("-")]:
                keys.append(F(field).desc() if choice.startswith("-") else F(field).asc())
        return queryset.with_change_time().order_by(*keys, "pk")


class WithdrawnFilter(django_filters.FilterSet):
    """The tombstone list: recommendations that left the public site since a time."""

    since = MomentFilter(
        field_name="withdrawn_at",
        lookup_expr="gte",
        label="Withdrawn since",
        help_text="ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z.",
    )

    class Meta:
        model = IssuedReference
        fields = ["since"]
