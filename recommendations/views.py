from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from areas.models import Area, Theme

from .filters import RecommendationFilter
from .models import Example, Recommendation, Report

PAGE_SIZE = 20


def home(request):
    published = Recommendation.objects.published()
    context = {
        "report": Report.objects.filter(is_demonstration=False).first(),
        "areas": Area.objects.with_recommendation_counts(published),
        "themes": Theme.objects.with_recommendation_counts(published),
        "total": published.count(),
    }
    return render(request, "home.html", context)


def area_detail(request, slug):
    area = get_object_or_404(Area, slug=slug)
    recommendations = (
        Recommendation.objects.published().in_area(area).with_summary_relations().ordered_by("")
    )
    context = {"area": area, "recommendations": recommendations}
    return render(request, "areas/area_detail.html", context)


def theme_detail(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    recommendations = (
        Recommendation.objects.published().with_theme(theme).with_summary_relations().ordered_by("")
    )
    context = {"theme": theme, "recommendations": recommendations}
    return render(request, "areas/theme_detail.html", context)


def recommendation_list(request):
    recommendations = Recommendation.objects.published().with_summary_relations().ordered_by("")
    filterset = RecommendationFilter(request.GET, queryset=recommendations)
    page = Paginator(filterset.qs if filterset.is_valid() else recommendations.none(), PAGE_SIZE)
    context = {"filter": filterset, "page": page.get_page(request.GET.get("page"))}
    return render(request, "recommendations/recommendation_list.html", context)


def recommendation_detail(request, reference):
    recommendation = get_object_or_404(
        Recommendation.objects.published().select_related("area", "report"),
        reference__iexact=reference,
    )
    if reference != recommendation.reference:
        return redirect(recommendation, permanent=True)
    context = {
        "recommendation": recommendation,
        "themes": recommendation.themes.all(),
        "related": recommendation.related.published().select_related("area"),
        "examples": recommendation.examples.published(),
        "sources": recommendation.sources.all(),
    }
    return render(request, "recommendations/recommendation_detail.html", context)


def example_list(request):
    examples = Example.objects.published()
    return render(request, "recommendations/example_list.html", {"examples": examples})


def example_detail(request, slug):
    example = get_object_or_404(Example.objects.published(), slug=slug)
    context = {
        "example": example,
        "recommendations": example.recommendations.published().with_summary_relations(),
    }
    return render(request, "recommendations/example_detail.html", context)
