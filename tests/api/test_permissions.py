"""Who may do what: every endpoint and method, for each kind of client."""

import pytest

from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

USERS = ["anonymous", "reader", "editor", "superuser"]

# method, path under /api/v1/, then the status for each of USERS. The reader may view
# everything; the editor may also add and change recommendations, examples and references;
# nobody deletes over the API; a published item's edit waits for a publisher (202).
MATRIX = [
    ("GET", "", 200, 200, 200, 200),
    ("POST", "", 405, 405, 405, 405),
    ("GET", "schema/", 200, 200, 200, 200),
    ("GET", "docs/", 200, 200, 200, 200),
    ("GET", "recommendations/", 200, 200, 200, 200),
    ("POST", "recommendations/", 401, 403, 201, 201),
    ("GET", "recommendations/GOV-1/", 200, 200, 200, 200),
    ("PUT", "recommendations/GOV-1/", 401, 403, 202, 202),
    ("PATCH", "recommendations/GOV-1/", 401, 403, 202, 202),
    ("DELETE", "recommendations/GOV-1/", 401, 403, 403, 405),
    ("GET", "recommendations/withdrawn/", 200, 200, 200, 200),
    ("POST", "recommendations/withdrawn/", 401, 403, 405, 405),
    ("GET", "examples/", 200, 200, 200, 200),
    ("POST", "examples/", 401, 403, 201, 201),
    ("GET", "examples/a-case/", 200, 200, 200, 200),
    ("PUT", "examples/a-case/", 401, 403, 202, 202),
    ("PATCH", "examples/a-case/", 401, 403, 202, 202),
    ("DELETE", "examples/a-case/", 401, 403, 403, 405),
    ("GET", "references/", 200, 200, 200, 200),
    ("POST", "references/", 401, 403, 201, 201),
    ("GET", "references/{source}/", 200, 200, 200, 200),
    ("PUT", "references/{source}/", 401, 403, 200, 200),
    ("PATCH", "references/{source}/", 401, 403, 200, 200),
    ("DELETE", "references/{source}/", 401, 403, 403, 405),
    ("GET", "areas/", 200, 200, 200, 200),
    ("POST", "areas/", 401, 403, 403, 405),
    ("GET", "areas/governance/", 200, 200, 200, 200),
    ("PUT", "areas/governance/", 401, 403, 403, 405),
    ("PATCH", "areas/governance/", 401, 403, 403, 405),
    ("DELETE", "areas/governance/", 401, 403, 403, 405),
    ("GET", "themes/", 200, 200, 200, 200),
    ("POST", "themes/", 401, 403, 403, 405),
    ("GET", "themes/agile/", 200, 200, 200, 200),
    ("PATCH", "themes/agile/", 401, 403, 403, 405),
    ("DELETE", "themes/agile/", 401, 403, 403, 405),
    ("GET", "reports/", 200, 200, 200, 200),
    ("POST", "reports/", 401, 403, 403, 405),
    ("GET", "reports/cuspe/", 200, 200, 200, 200),
    ("PATCH", "reports/cuspe/", 401, 403, 403, 405),
    ("DELETE", "reports/cuspe/", 401, 403, 403, 405),
]

PAYLOADS = {
    "recommendations": {
        "title": "Publish open data",
        "summary": "Publish the council's data openly.",
        "area": "governance",
        "report": "cuspe",
    },
    "examples": {"title": "A new case"},
    "references": {"title": "A new paper"},
}


@pytest.fixture
def clients(api, reader, editor, root):
    return {"anonymous": api, "reader": reader, "editor": editor, "superuser": root}


@pytest.fixture
def content():
    report = ReportFactory(slug="cuspe")
    recommendation = RecommendationFactory(report=report, themes=[ThemeFactory(slug="agile")])
    recommendation.examples.add(ExampleFactory(slug="a-case"))
    return {"source": ReferenceFactory().pk}


@pytest.mark.parametrize(
    ("method", "path", "user", "expected"),
    [
        pytest.param(method, path, user, statuses[index], id=f"{method} {path} as {user}")
        for method, path, *statuses in MATRIX
        for index, user in enumerate(USERS)
    ],
)
def test_each_client_may_do_only_what_its_permissions_allow(
    clients, content, method, path, user, expected
):
    url = "/api/v1/" + path.format(**content)
    payload = PAYLOADS.get(path.split("/")[0], {}) if method in ("POST", "PUT", "PATCH") else None

    response = getattr(clients[user], method.lower())(url, payload, format="json")

    assert response.status_code == expected, response.content
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
