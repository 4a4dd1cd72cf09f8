"""Spreadsheet exports that no spreadsheet program will run as a formula.

Anything an editor typed can reach a CSV or Excel export, and a cell that starts with `=`,
`+`, `-` or `@` (or a tab or carriage return before one) is a formula to Excel, LibreOffice
and Google Sheets: `=HYPERLINK(...)` or `@SUM(1+1)*cmd|...` would run when the file is
opened. So, as OWASP advises for CSV, such a text cell is written with a leading apostrophe,
which spreadsheet programs take as "this is text" and do not show; an import drops it again
(`spreadsheet_value`), so an exported file imports unchanged. In Excel files a cell has a
type, so text is simply stored as text: no apostrophe is needed.

django-import-export's own guard (IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT) only drops one
leading `=`, which leaves `==...`, `+...`, `-...` and `@...` live; these formats replace it.
"""

import io

import tablib
from import_export.formats.base_formats import CSV, XLSX

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell):
    """A text cell that a spreadsheet would read as a formula, marked as text (and one that
    already starts with such a mark, so that the import gives it back whole)."""
    if isinstance(cell, str) and cell.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def spreadsheet_value(cell):
    """What `spreadsheet_safe` was given: the apostrophe it added is dropped."""
    if (
        isinstance(cell, str)
        and cell.startswith("'")
        and cell.lstrip("'").startswith(FORMULA_STARTS)
    ):
        return cell[1:]
    return cell


class SafeCSV(CSV):
    """CSV with every formula-like text cell marked as text."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(
            *[[spreadsheet_safe(cell) for cell in row] for row in dataset],
            headers=dataset.headers,
            title=dataset.title,
        )
        return safe.export("csv", **kwargs)


class SafeXLSX(XLSX):
    """Excel with every text cell stored as text, never as a formula."""

    def export_data(self, dataset, **kwargs):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=(dataset.title or "Export")[:31])

        def cell(value):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            written = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                written.data_type = "s"  # openpyxl would make "=..." a formula
            return written

        if dataset.headers:
            sheet.append([cell(header) for header in dataset.headers])
        for row in dataset:
            sheet.append([cell(value) for value in row])
        output = io.BytesIO()
        workbook.save(output)
        return output.getvalue()
