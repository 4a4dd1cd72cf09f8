"""/sitemap.xml: every public page, one query per section; drafts never appear."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from areas.models import Area, Theme

from .models import Example, Recommendation


class PageSitemap(Sitemap):
    """The pages that are not about one record."""

    def items(self):
        return [
            "recommendations:home",
            "recommendations:about",
            "recommendations:list",
            "recommendations:theme-list",
            "recommendations:example-list",
        ]

    def location(self, item):
        return reverse(item)


class AreaSitemap(Sitemap):
    def items(self):
        return Area.objects.only("slug", "updated_at")

    def lastmod(self, area):
        return area.updated_at


class ThemeSitemap(Sitemap):
    def items(self):
        return Theme.objects.only("slug", "updated_at")

    def lastmod(self, theme):
        return theme.updated_at


class RecommendationSitemap(Sitemap):
    def items(self):
        return Recommendation.objects.published().only("reference", "updated_at").ordered_by("")

    def lastmod(self, recommendation):
        return recommendation.updated_at


class ExampleSitemap(Sitemap):
    def items(self):
        return Example.objects.published().only("slug", "updated_at")

    def lastmod(self, example):
        return example.updated_at


SITEMAPS = {
    "pages": PageSitemap,
    "areas": AreaSitemap,
    "themes": ThemeSitemap,
    "recommendations": RecommendationSitemap,
    "examples": ExampleSitemap,
}
