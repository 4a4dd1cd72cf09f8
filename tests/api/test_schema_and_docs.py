import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/areas/",
    "/api/v1/areas/{slug}/",
    "/api/v1/themes/",
    "/api/v1/themes/{slug}/",
    "/api/v1/reports/",
    "/api/v1/reports/{slug}/",
    "/api/v1/recommendations/",
    "/api/v1/recommendations/{reference}/",
    "/api/v1/recommendations/withdrawn/",
    "/api/v1/recommendations/{reference}/updates/",
    "/api/v1/examples/",
    "/api/v1/examples/{slug}/",
    "/api/v1/references/",
    "/api/v1/references/{id}/",
]


def test_the_openapi_document_validates_with_no_warnings(tmp_path):
    schema = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))

    assert "openapi: 3.0.3" in schema.read_text()


@pytest.fixture
def document(api):
    response = api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_document_describes_every_endpoint_and_how_to_authenticate(document):
    assert sorted(document["paths"]) == sorted(ENDPOINTS)
    assert document["info"]["version"] == "1.0.0"
    assert document["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_the_document_lists_every_filter_of_the_recommendations(document):
    parameters = document["paths"]["/api/v1/recommendations/"]["get"]["parameters"]

    assert {"area", "theme", "status", "priority", "horizon", "report", "q"} <= {
        parameter["name"] for parameter in parameters
    }
    assert {"updated_since", "ordering", "page", "page_size", "format"} <= {
        parameter["name"] for parameter in parameters
    }


def test_the_document_promises_the_errors_and_validators_clients_must_handle(document):
    listing = document["paths"]["/api/v1/recommendations/"]["get"]["responses"]
    update = document["paths"]["/api/v1/recommendations/{reference}/"]["patch"]

    assert {"200", "304", "400", "404", "429"} <= set(listing)
    assert {"ETag", "Last-Modified"} <= set(listing["200"]["headers"])
    assert {"200", "202", "400", "401", "403", "404", "412"} <= set(update["responses"])
    assert "If-Match" in {parameter["name"] for parameter in update["parameters"]}


def test_writes_take_keys_and_reads_give_embedded_summaries(document):
    schemas = document["components"]["schemas"]

    assert schemas["RecommendationWriteRequest"]["properties"]["area"]["type"] == "string"
    assert schemas["Recommendation"]["properties"]["area"]["allOf"][0]["$ref"].endswith(
        "/AreaSummary"
    )


def test_the_docs_page_is_served_from_our_origin_with_no_inline_script_or_style(api):
    response = api.get("/api/v1/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "<style" not in page and "style=" not in page
    assert all(re.search(r"src=", tag) for tag in re.findall(r"<script[^>]*>", page))
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_docs_script_is_a_separate_file_that_loads_our_schema(api):
    response = api.get("/api/v1/docs/", {"script": ""})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema/"' in response.content.decode()
