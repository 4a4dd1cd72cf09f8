"""The one FilterSet behind the recommendations page, its exports and the API."""

import django_filters

from areas.models import Area, Theme

from .models import SORT_CHOICES, Recommendation, Report


class RecommendationFilter(django_filters.FilterSet):
    area = django_filters.ModelMultipleChoiceFilter(
        queryset=Area.objects.all(),
        to_field_name="slug",
        label="Area",
        help_text="Area slug; repeat for several areas (any of them matches).",
    )
    theme = django_filters.ModelMultipleChoiceFilter(
        field_name="themes",
        queryset=Theme.objects.all(),
        to_field_name="slug",
        distinct=True,
        label="Theme",
        help_text="Theme slug; repeat for several themes (any of them matches).",
    )
    status = django_filters.MultipleChoiceFilter(choices=Recommendation.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Recommendation.Priority.choices)
    horizon = django_filters.MultipleChoiceFilter(
        choices=Recommendation.Horizon.choices, label="Time horizon"
    )
    report = django_filters.ModelChoiceFilter(
        queryset=Report.objects.all(), to_field_name="slug", label="Report"
    )
    q = django_filters.CharFilter(method="filter_words", label="Words", max_length=200)
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Updated since",
        help_text="ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z.",
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", empty_label=None, label="Sort by"
    )

    class Meta:
        model = Recommendation
        fields = ["area", "theme", "status", "priority", "horizon", "report", "q"]

    def filter_words(self, queryset, name, value):
        return queryset.matching(value)

    def filter_sort(self, queryset, name, value):
        return queryset.ordered_by(value)
