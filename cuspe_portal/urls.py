from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from cuspe_portal import health
from cuspe_portal.viewsets import APIRootView, NotFoundView
from recommendations import api

# The 500 page is made without the request context (see recommendations.views.server_error).
handler500 = "recommendations.views.server_error"
handler400 = "cuspe_portal.errors.bad_request"

# The API, version 1: one router for every resource (recommendations/api.py).
router = DefaultRouter()
router.APIRootView = APIRootView
router.include_format_suffixes = False  # ?format=csv is enough; no .csv twins of every URL
router.register("areas", api.AreaViewSet, basename="area")
router.register("themes", api.ThemeViewSet, basename="theme")
router.register("reports", api.ReportViewSet, basename="report")
router.register("recommendations", api.RecommendationViewSet, basename="recommendation")
router.register("examples", api.ExampleViewSet, basename="example")
router.register("references", api.ReferenceViewSet, basename="reference")
api_v1 = [
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/docs.html"),
        name="docs",
    ),
    re_path(r"", NotFoundView.as_view()),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("", include("recommendations.urls")),
]
