import pytest

from areas.models import Area
from tests.factories import RecommendationFactory

pytestmark = pytest.mark.django_db


def test_the_six_areas_exist_after_migrate_in_order_with_their_codes():
    assert list(Area.objects.values_list("slug", "code")) == [
        ("governance", "GOV"),
        ("organisation", "ORG"),
        ("system-methodologies", "SYS"),
        ("leadership", "LEAD"),
        ("culture", "CULT"),
        ("technology", "TECH"),
    ]


def test_deleting_an_area_with_recommendations_is_refused_in_the_admin(admin_client):
    governance = Area.objects.get(slug="governance")
    RecommendationFactory(area=governance)

    response = admin_client.post(
        f"/admin/areas/area/{governance.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert "Cannot delete area" in response.text
    assert Area.objects.filter(slug="governance").exists()


def test_bulk_deleting_areas_in_use_is_refused_in_the_admin(admin_client):
    governance = Area.objects.get(slug="governance")
    RecommendationFactory(area=governance)

    response = admin_client.post(
        "/admin/areas/area/",
        {"action": "delete_selected", "_selected_action": [governance.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.text
    assert Area.objects.count() == 6


def test_an_unused_area_can_be_deleted(admin_client):
    technology = Area.objects.get(slug="technology")

    response = admin_client.post(f"/admin/areas/area/{technology.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Area.objects.filter(slug="technology").exists()


def test_area_counts_include_only_published_recommendations():
    governance = Area.objects.get(slug="governance")
    RecommendationFactory(area=governance)
    RecommendationFactory(area=governance, draft=True)

    from recommendations.models import Recommendation

    counts = dict(
        Area.objects.with_recommendation_counts(Recommendation.objects.published()).values_list(
            "slug", "recommendation_count"
        )
    )
    assert counts["governance"] == 1
    assert counts["culture"] == 0
