"""The README's client, run as written against the API, keeps a faithful copy."""

import re
import sys
import types
from pathlib import Path

import pytest
from django.conf import settings

from recommendations.models import PublicationState, Recommendation
from tests.factories import RecommendationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def readme_client(api, monkeypatch):
    """The README's Python block, with `requests` answered by the test client."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    code = re.search(r"### A client that keeps a copy.*?```python\n(.*?)```", readme, re.S)[1]

    def get(url, params=None, timeout=None):
        present = {key: value for key, value in (params or {}).items() if value is not None}
        response = api.get(url.removeprefix("http://testserver"), present)
        assert response.status_code == 200, response.content
        return response

    monkeypatch.setitem(sys.modules, "requests", types.SimpleNamespace(get=get))
    namespace = {}
    exec(code, namespace)  # noqa: S102 - our own README, the point of the test
    namespace["API"] = "http://testserver/api/v1/"
    return namespace["sync"]


def public_copy(api):
    """Every public recommendation, read page by page."""
    rows, url = [], "/api/v1/recommendations/?page_size=100"
    while url:
        body = api.get(url).json()
        rows, url = rows + body["results"], body["next"]
    return {row["reference"]: row for row in rows}


def test_the_readme_client_copies_everything_then_only_the_changes(api, readme_client):
    recommendations = RecommendationFactory.create_batch(130)
    copy, state = {}, {}

    readme_client(copy, state)
    assert copy == public_copy(api)

    recommendations[0].title = "Edited"
    recommendations[0].save()
    recommendations[1].publication_state = PublicationState.ARCHIVED
    recommendations[1].save()
    recommendations[2].delete()
    RecommendationFactory(title="Brand new")
    readme_client(copy, state)

    assert copy == public_copy(api)
    assert copy["GOV-1"]["title"] == "Edited"
    assert "GOV-2" not in copy and "GOV-3" not in copy
    assert len(copy) == 129


def test_the_readme_client_steps_past_more_ties_than_a_page_holds(api, readme_client):
    RecommendationFactory.create_batch(120)
    moment = Recommendation.objects.first().updated_at
    Recommendation.objects.update(updated_at=moment, published_at=moment)
    copy, state = {}, {}

    readme_client(copy, state)

    assert len(copy) == 120
