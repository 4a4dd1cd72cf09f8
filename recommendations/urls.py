from django.urls import path

from . import views

app_name = "recommendations"

urlpatterns = [
    path("", views.home, name="home"),
    path("areas/<slug:slug>/", views.area_detail, name="area-detail"),
    path("themes/<slug:slug>/", views.theme_detail, name="theme-detail"),
    path("recommendations/", views.recommendation_list, name="list"),
    path("recommendations/<str:reference>/", views.recommendation_detail, name="detail"),
    path("examples/", views.example_list, name="example-list"),
    path("examples/<slug:slug>/", views.example_detail, name="example-detail"),
]
