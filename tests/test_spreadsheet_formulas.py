"""Exports never carry a live formula, and what they write imports back unchanged."""

import io

import openpyxl
import pytest
import tablib

from cuspe_portal.spreadsheets import SafeCSV, SafeXLSX, spreadsheet_safe, spreadsheet_value
from recommendations.models import Recommendation
from recommendations.resources import RecommendationResource
from tests.factories import RecommendationFactory

TYPED = [
    '=HYPERLINK("http://evil.example")',
    "==1+1",
    "+2+3+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1",
    "'=already quoted",
    "A plain title",
]


@pytest.mark.parametrize("text", TYPED)
def test_formula_like_text_is_marked_as_text_and_read_back_as_typed(text):
    safe = spreadsheet_safe(text)

    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert spreadsheet_value(safe) == text


def test_numbers_are_left_as_numbers():
    assert spreadsheet_safe(-2) == -2


def test_excel_cells_hold_text_as_text_never_as_a_formula():
    dataset = tablib.Dataset(*[[text] for text in TYPED], headers=["title"], title="Export")

    sheet = openpyxl.load_workbook(io.BytesIO(SafeXLSX().export_data(dataset))).active

    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == TYPED
    assert {cell.data_type for cell in cells} == {"s"}


@pytest.mark.django_db
def test_an_exported_file_imports_back_unchanged():
    RecommendationFactory(title="=HYPERLINK(1)", summary="@SUM(1+1) and -2")
    resource = RecommendationResource()
    exported = SafeCSV().export_data(resource.export(queryset=Recommendation.objects.all()))
    assert "'=HYPERLINK(1)" in exported

    result = resource.import_data(tablib.Dataset().load(exported, format="csv"), dry_run=False)

    assert not result.has_errors()
    saved = Recommendation.objects.get()
    assert (saved.title, saved.summary) == ("=HYPERLINK(1)", "@SUM(1+1) and -2")
