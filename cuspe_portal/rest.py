"""The API's settings-level classes: pagination, the anonymous throttle and CSV.

Settings name these (REST_FRAMEWORK), so this module imports nothing of DRF's views: DRF loads
it while defining them. The shared ViewSet behaviour is in `cuspe_portal/viewsets.py`, the
schema's in `cuspe_portal/openapi.py`, and the endpoints in `recommendations/api.py`.
"""

import csv
import io
import logging

from csp.constants import UNSAFE_INLINE
from rest_framework import exceptions, pagination, renderers, throttling
from rest_framework.settings import api_settings

from cuspe_portal.spreadsheets import spreadsheet_safe

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (1 to 100); a bad page size is a 400, a page past the end a 404."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Enter a whole number from 1 to {MAX_PAGE_SIZE}."]}
            )
        return int(value)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = f"Results per page, 1 to {MAX_PAGE_SIZE}."
            if parameter["name"] == self.page_query_param:
                parameter["description"] = "Page number; a page past the end is a 404."
        return parameters


class AnonRateThrottle(throttling.AnonRateThrottle):
    """Anonymous requests per client address, at the rate settings give (None turns it off).

    DRF's own class reads the rates once, at import; this one reads them on each request so a
    test or a settings change takes effect without a restart. The counts live in the cache:
    if it cannot be reached, requests are let through (and logged) rather than refused.
    """

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.exception("The API's rate limit could not be counted; letting it through")
            return True


class CSVRenderer(renderers.BaseRenderer):
    """A table as CSV: `{"columns": [...], "rows": [[...], ...]}` from a list action.

    Cells are escaped as the spreadsheet exports escape them (cuspe_portal/spreadsheets.py),
    so a file opened in a spreadsheet cannot run a formula someone typed.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(data["columns"])
        writer.writerows([spreadsheet_safe(cell) for cell in row] for row in data["rows"])
        return output.getvalue().encode(self.charset)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable pages, whose templates carry a few inline `style` attributes.

    Only these pages allow inline styles, and still no inline script; every other page keeps
    the site's strict Content Security Policy.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)


def csv_cell(value):
    """One CSV cell: lists joined with `|` (as the spreadsheet export does), None as blank."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(csv_cell(item)) for item in value)
    if isinstance(value, dict):
        return value.get("slug") or value.get("reference") or value.get("url") or ""
    return value
