import csv
import io

import pytest

from recommendations.resources import EXPORT_COLUMNS
from tests.factories import RecommendationFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def rows(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_recommendations_as_csv_have_the_sites_spreadsheet_columns(api):
    theme = ThemeFactory(slug="agile")
    RecommendationFactory(title="Open data", themes=[theme])
    RecommendationFactory(title="Secret", draft=True)

    table = rows(api.get("/api/v1/recommendations/", {"format": "csv"}))

    assert table[0] == EXPORT_COLUMNS
    assert len(table) == 2
    row = dict(zip(table[0], table[1], strict=True))
    assert row["reference"] == "GOV-1" and row["title"] == "Open data"
    assert row["area"] == "governance" and row["themes"] == "agile"


def test_the_csv_holds_every_match_not_one_page(api):
    RecommendationFactory.create_batch(3)

    table = rows(api.get("/api/v1/recommendations/", {"format": "csv", "page_size": 1}))

    assert [row[0] for row in table[1:]] == ["GOV-1", "GOV-2", "GOV-3"]


def test_the_csv_follows_the_filters(api):
    RecommendationFactory(status="accepted")
    RecommendationFactory(status="proposed")

    table = rows(api.get("/api/v1/recommendations/", {"format": "csv", "status": "proposed"}))

    assert [row[0] for row in table[1:]] == ["GOV-2"]


def test_a_csv_formula_is_escaped(api):
    RecommendationFactory(title="=HYPERLINK(1)")

    table = rows(api.get("/api/v1/recommendations/", {"format": "csv"}))

    assert table[1][1] == "'=HYPERLINK(1)"  # text to a spreadsheet, which hides the apostrophe


def test_other_lists_give_their_fields_in_a_stable_order(api):
    table = rows(api.get("/api/v1/areas/", {"format": "csv"}))

    assert table[0] == [
        "url",
        "html_url",
        "slug",
        "name",
        "code",
        "position",
        "summary",
        "description",
        "description_html",
        "source_url",
        "recommendation_count",
        "updated_at",
    ]
    assert [row[2] for row in table[1:]][:2] == ["governance", "organisation"]


def test_a_bad_filter_is_still_a_json_400_when_csv_was_asked_for(api):
    response = api.get("/api/v1/recommendations/", {"format": "csv", "status": "bogus"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["status"]


def test_a_single_item_has_no_csv(api):
    RecommendationFactory()

    assert api.get("/api/v1/recommendations/GOV-1/", {"format": "csv"}).status_code == 404
