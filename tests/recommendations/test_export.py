"""CSV and JSON exports of the filtered list: same filters, every row, the shared columns."""

import csv
import io
import json

import pytest

from areas.models import Area
from recommendations.resources import EXPORT_COLUMNS
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


def csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, so spreadsheets read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def listed_references(client, params):
    """Every reference the list page shows for `params`, page after page."""
    references, number = [], 1
    while True:
        response = client.get("/recommendations/", {**params, "page": number})
        references += [item.reference for item in response.context["page"].object_list]
        if not response.context["page"].has_next():
            return references
        number += 1


def test_the_csv_has_the_shared_columns_in_order_and_a_filename(client):
    RecommendationFactory(title="Share data openly")

    response = client.get("/recommendations/export.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="recommendations-')
    assert response["Content-Disposition"].endswith('.csv"')
    header, row = csv_rows(response)
    assert header == EXPORT_COLUMNS
    assert dict(zip(header, row, strict=True))["title"] == "Share data openly"


def test_the_export_has_every_row_the_filtered_pages_show_in_the_same_order(client):
    theme = ThemeFactory(slug="agile", name="Agile")
    culture = Area.objects.get(slug="culture")
    RecommendationFactory.create_batch(25, themes=[theme], status="accepted")
    RecommendationFactory.create_batch(20, area=culture, themes=[theme], status="accepted")
    RecommendationFactory.create_batch(5, themes=[theme], status="proposed")
    RecommendationFactory.create_batch(3, status="accepted")
    RecommendationFactory(themes=[theme], status="accepted", draft=True)
    params = {"theme": "agile", "status": "accepted", "sort": "title"}

    exported = csv_rows(client.get("/recommendations/export.csv", params))[1:]
    as_json = client.get("/recommendations/export.json", params).json()

    listed = listed_references(client, params)
    assert len(listed) == 45  # more than one page: the export is not paginated
    assert [row[0] for row in exported] == listed
    assert [row["reference"] for row in as_json] == listed


def test_the_json_keeps_the_column_order(client):
    recommendation = RecommendationFactory(priority="high")
    recommendation.themes.add(ThemeFactory(slug="agile"))

    response = client.get("/recommendations/export.json")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('.json"')
    (row,) = json.loads(response.content)
    assert list(row) == EXPORT_COLUMNS
    assert row["reference"] == "GOV-1"
    assert row["area"] == "governance"
    assert row["themes"] == "agile"
    assert row["priority"] == "high"


def test_an_area_page_export_holds_only_that_area(client):
    RecommendationFactory()
    RecommendationFactory(area=Area.objects.get(slug="culture"))

    response = client.get("/recommendations/export.json", {"area": "culture"})

    assert [row["reference"] for row in response.json()] == ["CULT-1"]


def test_drafts_never_leave_in_an_export_not_even_as_links(client):
    published = RecommendationFactory(title="Public plan")
    draft = RecommendationFactory(title="Secret plan", draft=True)
    published.related.add(draft, RecommendationFactory(title="Public friend"))
    published.examples.add(
        ExampleFactory(slug="hidden-case", publication_state="draft"),
        ExampleFactory(slug="shown-case"),
    )

    text = client.get("/recommendations/export.csv").content.decode()
    rows = client.get("/recommendations/export.json").json()

    assert "Secret plan" not in text and draft.reference not in text
    assert "hidden-case" not in text
    assert [row["reference"] for row in rows] == ["GOV-1", "GOV-3"]
    assert rows[0]["related"] == "GOV-3"
    assert rows[0]["examples"] == "shown-case"


def test_an_unknown_filter_value_refuses_the_export_with_a_message(client):
    RecommendationFactory()

    response = client.get("/recommendations/export.csv", {"area": "nowhere", "status": "odd"})

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "“nowhere” is not one of the areas" in response.text
    assert "“odd” is not one of the statuses" in response.text


def test_an_export_with_no_matches_is_just_the_header(client):
    response = client.get("/recommendations/export.csv", {"status": "implemented"})

    assert csv_rows(response) == [EXPORT_COLUMNS]


def test_the_export_is_only_read(client):
    assert client.post("/recommendations/export.csv").status_code == 405


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_defused(client):
    RecommendationFactory(title='=HYPERLINK("http://evil.example")')

    header, row = csv_rows(client.get("/recommendations/export.csv"))

    assert not dict(zip(header, row, strict=True))["title"].startswith("=")
