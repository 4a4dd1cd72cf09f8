from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import feeds, preview, views
from .sitemaps import SITEMAPS

app_name = "recommendations"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("areas/<slug:slug>/", views.area_detail, name="area-detail"),
    path("areas/<slug:slug>/feed/", feeds.AreaChangesFeed(), name="area-feed"),
    path("themes/", views.theme_list, name="theme-list"),
    path("themes/<slug:slug>/", views.theme_detail, name="theme-detail"),
    path("themes/<slug:slug>/feed/", feeds.ThemeChangesFeed(), name="theme-feed"),
    path("recommendations/", views.recommendation_list, name="list"),
    path(
        "recommendations/export.csv",
        views.recommendation_export,
        {"file_format": "csv"},
        name="export-csv",
    ),
    path(
        "recommendations/export.json",
        views.recommendation_export,
        {"file_format": "json"},
        name="export-json",
    ),
    path("recommendations/feed/", feeds.RecommendationListFeed(), name="list-feed"),
    path("recommendations/briefing/", views.briefing_pack, name="briefing"),
    path("recommendations/briefing.pdf", views.briefing_pack_pdf, name="briefing-pdf"),
    # A reference (GOV-1, any case) or, redirected to the reference, the slug.
    path("recommendations/<slug:reference>/", views.recommendation_detail, name="detail"),
    path("examples/", views.example_list, name="example-list"),
    path("examples/<slug:slug>/", views.example_detail, name="example-detail"),
    path("preview/<str:token>/", preview.preview_link, name="preview"),
    path("search/", views.search, name="search"),
    path("progress/", views.progress, name="progress"),
    path("changes/", views.changes, name="changes"),
    path("changes/feed/", feeds.ChangesFeed(), name="changes-feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
