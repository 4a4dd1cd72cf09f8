from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.http import http_date

from areas.models import Area, Theme
from recommendations.models import Example, Recommendation, Reference, Report
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/recommendations/",
    "/api/v1/recommendations/GOV-1/",
    "/api/v1/recommendations/withdrawn/",
    "/api/v1/areas/",
    "/api/v1/areas/governance/",
    "/api/v1/themes/",
    "/api/v1/themes/agile/",
    "/api/v1/reports/",
    "/api/v1/examples/",
    "/api/v1/examples/a-case/",
    "/api/v1/references/",
]
AN_HOUR_AGO = timezone.now() - timedelta(hours=1)


def age_everything(moment=AN_HOUR_AGO):
    """Date every row's last change to `moment`, as if nothing had changed since."""
    for model in (Area, Theme, Report, Reference):
        model.objects.update(updated_at=moment)
    for model in (Recommendation, Example):
        model.objects.update(updated_at=moment, published_at=moment)


@pytest.fixture
def content():
    recommendation = RecommendationFactory(themes=[ThemeFactory(slug="agile")])
    recommendation.examples.add(ExampleFactory(slug="a-case"))
    recommendation.sources.add(ReferenceFactory())
    age_everything()
    return recommendation


@pytest.mark.parametrize("path", PATHS)
def test_lists_and_details_send_an_etag_and_last_modified(api, content, path):
    response = api.get(path)

    assert response.status_code == 200
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Last-Modified"] == http_date(int(AN_HOUR_AGO.timestamp()) + 1)


@pytest.mark.parametrize("path", PATHS)
def test_if_none_match_with_the_current_etag_is_a_304_with_no_body(api, content, path):
    etag = api.get(path)["ETag"]

    response = api.get(path, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("path", PATHS)
def test_if_modified_since_the_last_change_is_a_304(api, content, path):
    last_modified = api.get(path)["Last-Modified"]

    response = api.get(path, HTTP_IF_MODIFIED_SINCE=last_modified)

    assert response.status_code == 304


def test_an_edit_changes_the_etag_and_last_modified(api, content):
    before = api.get("/api/v1/recommendations/")
    content.title = "A new title"
    content.save()
    age_everything(timezone.now() - timedelta(minutes=1))

    response = api.get("/api/v1/recommendations/", HTTP_IF_NONE_MATCH=before["ETag"])
    modified = api.get("/api/v1/recommendations/", HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])

    assert response.status_code == 200
    assert response["ETag"] != before["ETag"]
    assert response["Last-Modified"] != before["Last-Modified"]
    assert modified.status_code == 200


def test_a_withdrawal_moves_the_lists_last_modified_on(api, content):
    RecommendationFactory()
    age_everything()
    before = api.get("/api/v1/recommendations/")["Last-Modified"]
    Recommendation.objects.get(reference="GOV-2").delete()

    response = api.get("/api/v1/recommendations/", HTTP_IF_MODIFIED_SINCE=before)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_publication_later_than_every_edit_is_the_lists_last_modified(api, content):
    # A scheduled recommendation goes public at its time, long after its last edit.
    gone_public = timezone.now() - timedelta(minutes=30)
    Recommendation.objects.filter(pk=content.pk).update(published_at=gone_public)

    for path in ["/api/v1/recommendations/", "/api/v1/areas/", "/api/v1/examples/"]:
        assert api.get(path)["Last-Modified"] == http_date(int(gone_public.timestamp()) + 1), path


def test_a_change_in_this_very_second_sends_no_last_modified_yet(api, content):
    content.save()
    changed = Recommendation.objects.get(pk=content.pk).updated_at.timestamp()

    # The clock still reads the second of the change, however slow the machine is.
    with mock.patch("cuspe_portal.viewsets.time.time", return_value=changed):
        response = api.get("/api/v1/recommendations/GOV-1/")

    assert response.status_code == 200
    assert "Last-Modified" not in response


def test_the_etag_differs_between_json_and_csv(api, content):
    as_json = api.get("/api/v1/recommendations/")
    as_csv = api.get("/api/v1/recommendations/", {"format": "csv"})

    assert as_json["ETag"] != as_csv["ETag"]


def test_responses_say_they_vary_by_credentials_and_must_be_revalidated(api, content):
    response = api.get("/api/v1/recommendations/")

    assert {"Accept", "Authorization", "Cookie"} <= {
        part.strip() for part in response["Vary"].split(",")
    }
    assert "no-cache" in response["Cache-Control"]
