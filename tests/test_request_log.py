"""Each request is logged once, with its id, path, status and duration, as a JSON line."""

import json
import logging
import logging.config

import pytest
from django.conf import settings

from cuspe_portal.requestlog import RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="cuspe_portal.requests")
    return caplog


def test_a_request_is_logged_with_its_id_path_status_and_duration(client, request_log):
    response = client.get("/about/?x=1")

    (record,) = [r for r in request_log.records if r.name == "cuspe_portal.requests"]
    assert record.request_id == response["X-Request-ID"]
    assert len(record.request_id) == 32
    assert (record.method, record.path, record.status) == ("GET", "/about/", 200)
    assert record.duration_ms >= 0


def test_the_load_balancers_request_id_is_kept_when_it_is_sensible(client, request_log):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert kept["X-Request-ID"] == "lb-7f3a9c2e-0001"
    assert "<" not in replaced["X-Request-ID"]
    assert len(replaced["X-Request-ID"]) == 32


def test_the_production_format_is_one_json_object_a_line():
    configuration = settings.LOGGING["formatters"]["json"]
    formatter = logging.config.DictConfigurator({}).configure_formatter(dict(configuration))
    record = logging.LogRecord("cuspe_portal.requests", logging.INFO, "", 0, "GET / 200", (), None)
    RequestIdFilter().filter(record)
    record.path, record.status, record.duration_ms = "/", 200, 3.5

    line = formatter.format(record)

    assert "\n" not in line
    fields = json.loads(line)
    assert fields["level"] == "INFO"
    assert fields["logger"] == "cuspe_portal.requests"
    assert fields["message"] == "GET / 200"
    assert (fields["path"], fields["status"], fields["duration_ms"]) == ("/", 200, 3.5)
    assert fields["request_id"] == ""
    assert "T" in fields["time"]
