from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = f"{settings.PORTAL_SERVICE_NAME}: editors' admin"
admin.site.site_title = settings.PORTAL_SERVICE_NAME
admin.site.index_title = f"{settings.PORTAL_ORGANISATION_NAME}: content"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("recommendations.urls")),
]
