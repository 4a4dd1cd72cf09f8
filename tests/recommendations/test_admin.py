import pytest
from django.contrib import admin
from django.urls import reverse

from areas.models import Area, Theme
from recommendations.models import PublicationState, Recommendation
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_everything():
    theme = ThemeFactory()
    recommendation = RecommendationFactory(themes=[theme])
    recommendation.examples.add(ExampleFactory())
    recommendation.sources.add(ReferenceFactory())
    return recommendation


def registered_models():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in {"areas", "recommendations"}
    ]


def test_every_admin_changelist_add_and_change_page_answers_200(admin_client, one_of_everything):
    for model in registered_models():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = admin_client.get(reverse(f"{prefix}_changelist"))
        assert changelist.status_code == 200, model
        instance = model.objects.first()
        assert instance is not None, model
        change = admin_client.get(reverse(f"{prefix}_change", args=[instance.pk]))
        assert change.status_code == 200, model
        model_admin = admin.site._registry[model]
        if model_admin.has_add_permission(change.wsgi_request):
            add = admin_client.get(reverse(f"{prefix}_add"))
            assert add.status_code == 200, model


def test_the_admin_is_titled_with_the_portals_name(admin_client, settings):
    response = admin_client.get("/admin/")

    assert "Transformation recommendations" in response.text


def test_an_editor_adds_a_recommendation_and_gets_the_next_reference(admin_client):
    report = ReportFactory()
    theme = Theme.objects.create(name="Agile", slug="agile")
    response = admin_client.post(
        reverse("admin:recommendations_recommendation_add"),
        {
            "report": report.pk,
            "area": Area.objects.get(slug="technology").pk,
            "reference": "",
            "title": "Open the council's data",
            "slug": "open-the-councils-data",
            "summary": "Publish the data the council holds, openly.",
            "rationale": "It helps.",
            "themes": [theme.pk],
            "status": "proposed",
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    saved = Recommendation.objects.get(slug="open-the-councils-data")
    assert saved.reference == "TECH-1"
    assert saved.publication_state == PublicationState.DRAFT


def test_an_invalid_recommendation_is_refused_with_messages_and_nothing_saved(admin_client):
    response = admin_client.post(
        reverse("admin:recommendations_recommendation_add"),
        {"title": "", "status": "made-up", "publication_state": "draft"},
    )

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert "Select a valid choice" in response.text
    assert not Recommendation.objects.exists()


def test_the_reference_is_read_only_once_issued(admin_client):
    recommendation = RecommendationFactory()

    response = admin_client.get(
        reverse("admin:recommendations_recommendation_change", args=[recommendation.pk])
    )

    assert 'name="reference"' not in response.text
    assert recommendation.reference in response.text


def test_publish_and_unpublish_actions_change_the_state_and_say_so(admin_client):
    draft = RecommendationFactory(draft=True)
    changelist = reverse("admin:recommendations_recommendation_changelist")

    response = admin_client.post(
        changelist,
        {"action": "publish_selected", "_selected_action": [draft.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.is_published
    assert "1 item published." in response.text

    response = admin_client.post(
        changelist,
        {"action": "unpublish_selected", "_selected_action": [draft.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.DRAFT
    assert "1 item taken off the public site." in response.text


def test_admin_search_finds_a_recommendation_by_reference_and_rationale(admin_client):
    target = RecommendationFactory(rationale="Unusual word: zeitgeber.")
    RecommendationFactory()
    changelist = reverse("admin:recommendations_recommendation_changelist")

    by_word = admin_client.get(changelist, {"q": "zeitgeber"})
    by_reference = admin_client.get(changelist, {"q": target.reference})

    assert by_word.context["cl"].result_count == 1
    assert target in by_reference.context["cl"].result_list
