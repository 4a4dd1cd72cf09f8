import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recommendations import signals
from recommendations.models import (
    Example,
    IssuedReference,
    PendingState,
    PublicationState,
    Recommendation,
    Reference,
)
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/recommendations/"


@pytest.fixture
def new():
    """What a tool sends to add a recommendation."""
    ReportFactory(slug="cuspe")
    return {
        "title": "Publish open data",
        "summary": "Publish the council's data openly.",
        "area": "governance",
        "report": "cuspe",
        "status": "accepted",
        "priority": "high",
    }


def test_an_editor_adds_a_recommendation_as_a_draft_with_the_next_reference(editor, api, new):
    response = editor.post(LIST, new, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == "GOV-1"
    assert body["slug"] == "publish-open-data"
    assert body["publication_state"] == "draft"
    assert response["Location"] == body["url"] == "http://testserver/api/v1/recommendations/GOV-1/"
    assert editor.get(body["url"]).status_code == 200
    assert api.get(body["url"]).status_code == 404


def test_links_are_given_by_their_keys(editor, new):
    ThemeFactory(slug="agile")
    ExampleFactory(slug="a-case")
    source = ReferenceFactory()
    partner = RecommendationFactory()
    new.update(
        themes=["agile"], examples=["a-case"], references=[source.pk], related=[partner.reference]
    )

    body = editor.post(LIST, new, format="json").json()

    assert [theme["slug"] for theme in body["themes"]] == ["agile"]
    assert [example["slug"] for example in body["examples"]] == ["a-case"]
    assert [reference["id"] for reference in body["references"]] == [source.pk]
    assert [related["reference"] for related in body["related"]] == [partner.reference]


def test_a_reference_may_be_asked_for_in_any_case(editor, new):
    response = editor.post(LIST, {**new, "reference": " gov-7 "}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "GOV-7"


def test_a_reference_used_before_is_refused_and_nothing_is_saved(editor, new):
    RecommendationFactory().delete()

    response = editor.post(LIST, {**new, "reference": "GOV-1"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reference": ["GOV-1 has been used before and cannot be reused."]}
    assert Recommendation.objects.count() == 0


def test_bad_values_are_refused_field_by_field_and_nothing_is_saved(editor, new):
    response = editor.post(
        LIST,
        {**new, "title": "", "area": "nowhere", "status": "bogus", "themes": ["nowhere"]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"title", "area", "status", "themes"}
    assert Recommendation.objects.count() == 0
    assert IssuedReference.objects.count() == 0


def test_a_slug_in_use_is_refused(editor, new):
    RecommendationFactory(slug="publish-open-data")

    response = editor.post(LIST, new, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["slug"]


def test_a_write_that_fails_half_way_leaves_nothing_behind(editor, new, monkeypatch):
    partner = RecommendationFactory()

    def fail(recommendations):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(signals, "recommendations_touch", fail)
    editor.raise_request_exception = False
    response = editor.post(LIST, {**new, "related": [partner.reference]}, format="json")

    assert response.status_code == 500
    assert list(Recommendation.objects.values_list("reference", flat=True)) == ["GOV-1"]
    assert list(IssuedReference.objects.values_list("reference", flat=True)) == ["GOV-1"]


def test_an_edit_of_a_draft_is_applied(editor):
    RecommendationFactory(draft=True, title="Old title")

    response = editor.patch(LIST + "GOV-1/", {"title": "New title"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "New title"
    assert Recommendation.objects.get().title == "New title"


def test_put_replaces_every_field_given(editor, new):
    RecommendationFactory(draft=True, priority="low", horizon="long")

    response = editor.put(LIST + "GOV-1/", {**new, "horizon": ""}, format="json")

    assert response.status_code == 200, response.content
    saved = Recommendation.objects.get()
    assert (saved.title, saved.priority, saved.horizon) == ("Publish open data", "high", "")


def test_put_without_a_required_field_is_refused(editor):
    RecommendationFactory(draft=True)

    response = editor.put(LIST + "GOV-1/", {"title": "Only a title"}, format="json")

    assert response.status_code == 400
    assert {"summary", "area", "report"} <= set(response.json())


def test_a_reference_cannot_be_changed(editor):
    RecommendationFactory(draft=True)

    response = editor.patch(LIST + "GOV-1/", {"reference": "GOV-9"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reference": ["The reference GOV-1 cannot be changed."]}


def test_an_edit_of_a_published_recommendation_waits_for_a_publisher(editor, api):
    RecommendationFactory(title="Public title")

    response = editor.patch(LIST + "GOV-1/", {"title": "Proposed title"}, format="json")

    assert response.status_code == 202, response.content
    assert response.json()["title"] == "Public title"
    assert response["ETag"] == editor.get(LIST + "GOV-1/")["ETag"]
    assert response.json()["pending_state"] == PendingState.DRAFT
    assert api.get(LIST + "GOV-1/").json()["title"] == "Public title"
    saved = Recommendation.objects.get()
    assert saved.pending_changes["fields"] == {"title": "Proposed title"}


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_stale_if_match_is_a_412_and_changes_nothing(editor, new, method):
    RecommendationFactory(draft=True, title="First")
    etag = editor.get(LIST + "GOV-1/")["ETag"]
    editor.patch(LIST + "GOV-1/", {"title": "Second"}, format="json")

    send = getattr(editor, method)
    response = send(LIST + "GOV-1/", {**new, "title": "Third"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert "changed since you read it" in response.json()["detail"]
    assert Recommendation.objects.get().title == "Second"


def test_the_current_if_match_lets_an_edit_through_and_answers_with_the_new_etag(editor):
    RecommendationFactory(draft=True, title="First")
    etag = editor.get(LIST + "GOV-1/")["ETag"]

    response = editor.patch(LIST + "GOV-1/", {"title": "Second"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    assert response["ETag"] == editor.get(LIST + "GOV-1/")["ETag"] != etag


def test_an_anonymous_write_is_a_401_that_names_the_scheme(api, new):
    response = api.post(LIST, new, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Recommendation.objects.count() == 0


def test_an_unknown_token_is_a_401(new):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.post(LIST, new, format="json").status_code == 401
    assert client.get(LIST).status_code == 401


def test_a_user_without_the_permission_is_a_403(reader, new):
    response = reader.post(LIST, new, format="json")

    assert response.status_code == 403
    assert Recommendation.objects.count() == 0


def test_a_signed_in_session_writes_from_the_browsable_api(client, superuser, new):
    client.force_login(superuser)

    response = client.post(LIST, new, content_type="application/json")

    assert response.status_code == 201, response.content


def test_a_session_write_without_the_csrf_token_is_refused(superuser, new):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(superuser)

    response = client.post(LIST, new, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_browsable_api_offers_a_form_with_the_writable_fields(client, superuser):
    client.force_login(superuser)

    response = client.get(LIST, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert 'name="summary"' in response.text


def test_an_editor_adds_an_example_as_a_draft(editor, api):
    response = editor.post(
        "/api/v1/examples/", {"title": "Bristol's data hub", "year": 2015}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "bristols-data-hub"
    assert Example.objects.get().publication_state == PublicationState.DRAFT
    assert api.get("/api/v1/examples/bristols-data-hub/").status_code == 404


def test_an_editor_adds_and_corrects_a_reference(editor):
    created = editor.post(
        "/api/v1/references/",
        {"title": "Systems thinking", "year": 2016, "web_address": "https://example.org/st"},
        format="json",
    )
    corrected = editor.patch(created["Location"], {"authors": "J. Seddon"}, format="json")

    assert created.status_code == 201 and corrected.status_code == 200
    assert Reference.objects.get().citation == "J. Seddon (2016). Systems thinking."


def test_a_reference_with_an_impossible_year_is_refused(editor):
    response = editor.post(
        "/api/v1/references/", {"title": "Old", "year": 1066, "web_address": "nope"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"year", "web_address"}


def test_an_administrator_issues_a_token_in_the_admin_and_it_works(admin_client, new):
    user = UserFactory(username="tool", permissions=["recommendations.add_recommendation"])

    response = admin_client.post("/admin/authtoken/tokenproxy/add/", {"user": user.pk})

    assert response.status_code == 302
    tool = APIClient()
    tool.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=user).key}")
    assert tool.post(LIST, new, format="json").status_code == 201
