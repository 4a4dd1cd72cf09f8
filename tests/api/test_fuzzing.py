"""schemathesis sends requests generated from our own OpenAPI document; none may break it."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cuspe_portal.wsgi import application
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
    TokenFactory,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def connection_kept_open():
    """Calls straight into the WSGI app must not close the test's database connection (which
    holds its transaction); Django's own test client disconnects the same handlers."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_schema(db, superuser, connection_kept_open):
    """The served schema, over content for the requests to find (and drafts beside it)."""
    report = ReportFactory(slug="cuspe")
    recommendation = RecommendationFactory(report=report, themes=[ThemeFactory(slug="agile")])
    recommendation.examples.add(ExampleFactory(slug="a-case"))
    recommendation.sources.add(ReferenceFactory())
    RecommendationFactory(report=report, draft=True)
    RecommendationFactory(report=report).delete()
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


schema = schemathesis.pytest.from_fixture("api_schema")
BOUNDED = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}


@pytest.fixture
def superuser_token(superuser):
    return {"Authorization": f"Token {TokenFactory(user=superuser).key}"}


# Reads get schemathesis's coverage phase too: every parameter's edge and invalid values.
@schema.include(method="GET").parametrize()
@settings(max_examples=10, **BOUNDED)
def test_generated_reads_never_break_the_api_or_its_schema(case):
    case.call_and_validate(checks=CHECKS)


# Writes, as a superuser, get random bodies only: the coverage phase's thousands of invalid
# bodies would take minutes, and the contract tests pin each validation rule anyway.
@schema.exclude(method="GET").parametrize()
@settings(max_examples=15, phases=[Phase.generate], **BOUNDED)
def test_generated_writes_never_break_the_api_or_its_schema(case, superuser_token):
    case.call_and_validate(headers=superuser_token, checks=CHECKS)
