from datetime import timedelta

import pytest
from django.utils import timezone

from areas.models import Area
from recommendations.models import PublicationState
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

BASE = "http://testserver/api/v1/"


def test_the_root_lists_every_endpoint_by_its_address(api):
    response = api.get("/api/v1/")

    assert response.status_code == 200
    assert response.json() == {
        "areas": BASE + "areas/",
        "themes": BASE + "themes/",
        "reports": BASE + "reports/",
        "recommendations": BASE + "recommendations/",
        "examples": BASE + "examples/",
        "references": BASE + "references/",
        "withdrawn-recommendations": BASE + "recommendations/withdrawn/",
        "schema": BASE + "schema/",
        "docs": BASE + "docs/",
    }


def test_the_root_is_browsable(api):
    response = api.get("/api/v1/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "/api/v1/recommendations/" in response.text


def test_lists_are_paginated_with_count_and_links(api):
    RecommendationFactory.create_batch(3)

    page = api.get("/api/v1/recommendations/", {"page_size": 2}).json()

    assert page["count"] == 3
    assert page["next"] == BASE + "recommendations/?page=2&page_size=2"
    assert page["previous"] is None
    assert len(page["results"]) == 2


def test_areas_carry_their_count_of_published_recommendations(api):
    RecommendationFactory.create_batch(2)
    RecommendationFactory(draft=True)

    areas = {area["slug"]: area for area in api.get("/api/v1/areas/").json()["results"]}

    assert list(areas) == [area.slug for area in Area.objects.all()]
    assert areas["governance"]["recommendation_count"] == 2
    assert areas["culture"]["recommendation_count"] == 0
    assert areas["governance"]["url"] == BASE + "areas/governance/"
    assert areas["governance"]["html_url"] == "http://testserver/areas/governance/"


def test_an_area_is_read_by_its_slug(api):
    response = api.get("/api/v1/areas/technology/")

    assert response.status_code == 200
    assert response.json()["code"] == "TECH"


def test_themes_carry_their_count_and_addresses(api):
    theme = ThemeFactory(name="Agile", slug="agile")
    RecommendationFactory(themes=[theme])
    RecommendationFactory(themes=[theme], draft=True)

    body = api.get("/api/v1/themes/agile/").json()

    assert body["recommendation_count"] == 1
    assert body["url"] == BASE + "themes/agile/"
    assert body["html_url"] == "http://testserver/themes/agile/"


def test_a_report_links_to_its_recommendations_on_the_site(api):
    ReportFactory(slug="cuspe-2017-test", title="New models", url="https://example.org/r.pdf")

    body = api.get("/api/v1/reports/cuspe-2017-test/").json()

    assert body["title"] == "New models"
    assert body["web_address"] == "https://example.org/r.pdf"
    assert body["html_url"] == "http://testserver/recommendations/?report=cuspe-2017-test"


def test_a_recommendation_embeds_its_area_themes_and_report_and_links_the_rest(api):
    theme = ThemeFactory(name="Agile", slug="agile")
    shown = ExampleFactory(slug="shown", title="Shown case")
    hidden = ExampleFactory(slug="hidden", publication_state=PublicationState.DRAFT)
    source = ReferenceFactory(title="Paper")
    recommendation = RecommendationFactory(title="Share data", themes=[theme])
    recommendation.examples.set([shown, hidden])
    recommendation.sources.set([source])
    partner = RecommendationFactory(title="Partner")
    secret = RecommendationFactory(title="Secret", draft=True)
    recommendation.related.set([partner, secret])

    body = api.get("/api/v1/recommendations/GOV-1/").json()

    assert body["reference"] == "GOV-1" and body["title"] == "Share data"
    assert body["url"] == BASE + "recommendations/GOV-1/"
    assert body["html_url"] == "http://testserver/recommendations/GOV-1/"
    assert body["area"] == {
        "url": BASE + "areas/governance/",
        "html_url": "http://testserver/areas/governance/",
        "slug": "governance",
        "name": "Governance",
        "code": "GOV",
    }
    assert [theme["slug"] for theme in body["themes"]] == ["agile"]
    assert body["report"]["slug"] == recommendation.report.slug
    assert [example["slug"] for example in body["examples"]] == ["shown"]
    assert body["examples"][0]["url"] == BASE + "examples/shown/"
    assert body["references"][0]["url"] == f"{BASE}references/{source.pk}/"
    assert body["references"][0]["citation"] == source.citation
    assert [related["reference"] for related in body["related"]] == [partner.reference]
    assert body["rationale_html"] == "<p>Because <strong>evidence</strong> says so.</p>\n"


def test_a_reference_in_any_case_finds_the_recommendation(api):
    RecommendationFactory()

    response = api.get("/api/v1/recommendations/gov-1/")

    assert response.status_code == 200
    assert response.json()["url"] == BASE + "recommendations/GOV-1/"


def test_a_draft_recommendation_is_a_404_to_the_public(api):
    RecommendationFactory(draft=True, title="Secret plan")

    response = api.get("/api/v1/recommendations/GOV-1/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Recommendation matches the given query."}
    assert api.get("/api/v1/recommendations/").json()["count"] == 0


def test_a_scheduled_recommendation_stays_hidden_until_its_time(api):
    RecommendationFactory(published_at=timezone.now() + timedelta(days=1))

    assert api.get("/api/v1/recommendations/GOV-1/").status_code == 404


def test_someone_who_may_view_drafts_reads_them(reader):
    RecommendationFactory(draft=True, title="Secret plan")

    response = reader.get("/api/v1/recommendations/GOV-1/")

    assert response.status_code == 200
    assert response.json()["publication_state"] == "draft"
    assert reader.get("/api/v1/recommendations/").json()["count"] == 1


def test_an_owners_contact_and_internal_fields_are_never_shown(api):
    RecommendationFactory()

    body = api.get("/api/v1/recommendations/GOV-1/").json()

    assert not {"owner_contact", "pending_changes", "number", "id"} & set(body)


def test_examples_are_read_by_slug_and_drafts_are_hidden(api):
    example = ExampleFactory(slug="shown-case", title="Shown case")
    ExampleFactory(slug="hidden-case", publication_state=PublicationState.DRAFT)
    recommendation = RecommendationFactory()
    recommendation.examples.add(example)
    RecommendationFactory(draft=True).examples.add(example)

    body = api.get("/api/v1/examples/shown-case/").json()

    assert body["html_url"] == "http://testserver/examples/shown-case/"
    assert [linked["reference"] for linked in body["recommendations"]] == ["GOV-1"]
    assert api.get("/api/v1/examples/hidden-case/").status_code == 404
    listed = api.get("/api/v1/examples/").json()["results"]
    assert [example["slug"] for example in listed] == ["shown-case"]


def test_references_are_listed_and_read_by_id(api):
    reference = ReferenceFactory(title="Systems thinking", url="https://example.org/st")

    listed = api.get("/api/v1/references/").json()
    body = api.get(f"/api/v1/references/{reference.pk}/").json()

    assert listed["count"] == 1
    assert body["web_address"] == "https://example.org/st"
    assert body["url"] == f"{BASE}references/{reference.pk}/"
    assert body["html_url"] is None


def test_an_unknown_slug_is_a_json_404(api):
    for path in ["areas/nowhere/", "themes/nowhere/", "reports/nowhere/", "examples/nowhere/"]:
        response = api.get("/api/v1/" + path)
        assert response.status_code == 404, path
        assert "detail" in response.json()
    assert api.get("/api/v1/references/999999/").status_code == 404


def test_any_other_address_under_the_api_is_a_json_404(api):
    for path in ["/api/v1/nothing/", "/api/v1/references/not-a-number/"]:
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "There is nothing at this address in the API."}
