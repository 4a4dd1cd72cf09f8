"""A client that keeps a copy learns of every change, including what left the public site."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recommendations.models import Example, IssuedReference, PublicationState, Recommendation
from tests.factories import ExampleFactory, RecommendationFactory, ThemeFactory

pytestmark = pytest.mark.django_db

WITHDRAWN = "/api/v1/recommendations/withdrawn/"


def withdrawn(api, **params):
    response = api.get(WITHDRAWN, params)
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def changed_since(api, moment):
    response = api.get("/api/v1/recommendations/", {"updated_since": moment.isoformat()})
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_a_deleted_recommendation_is_listed_as_withdrawn(api):
    RecommendationFactory().delete()

    response = api.get(WITHDRAWN)

    assert response.json()["results"] == [
        {
            "url": "http://testserver/api/v1/recommendations/GOV-1/",
            "html_url": "http://testserver/recommendations/GOV-1/",
            "reference": "GOV-1",
            "withdrawn_at": response.json()["results"][0]["withdrawn_at"],
        }
    ]
    assert api.get("/api/v1/recommendations/GOV-1/").status_code == 404


@pytest.mark.parametrize(
    "state", [PublicationState.DRAFT, PublicationState.ARCHIVED, PublicationState.IN_REVIEW]
)
def test_one_taken_off_the_public_site_is_listed_as_withdrawn(api, state):
    recommendation = RecommendationFactory()
    recommendation.publication_state = state
    recommendation.save()

    assert withdrawn(api) == ["GOV-1"]


def test_one_rescheduled_into_the_future_is_listed_as_withdrawn(api):
    recommendation = RecommendationFactory()
    recommendation.published_at = timezone.now() + timedelta(days=3)
    recommendation.save()

    assert withdrawn(api) == ["GOV-1"]


def test_a_bulk_delete_records_every_public_one_and_no_draft(api):
    RecommendationFactory.create_batch(2)
    RecommendationFactory(draft=True)

    Recommendation.objects.all().delete()

    assert sorted(withdrawn(api)) == ["GOV-1", "GOV-2"]


def test_one_published_again_leaves_the_tombstones_and_its_mark_is_cleared(api):
    recommendation = RecommendationFactory()
    recommendation.publication_state = PublicationState.DRAFT
    recommendation.save()
    recommendation.publication_state = PublicationState.PUBLISHED
    recommendation.save()

    assert withdrawn(api) == []
    assert IssuedReference.objects.get(reference="GOV-1").withdrawn_at is None


def test_one_back_by_schedule_leaves_the_tombstones_without_being_saved(api):
    recommendation = RecommendationFactory()
    recommendation.published_at = timezone.now() + timedelta(days=3)
    recommendation.save()
    Recommendation.objects.update(published_at=timezone.now() - timedelta(seconds=1))

    assert withdrawn(api) == []


def test_a_draft_that_never_was_public_leaves_no_tombstone(api):
    draft = RecommendationFactory(draft=True)
    draft.publication_state = PublicationState.ARCHIVED
    draft.save()
    draft.delete()

    assert withdrawn(api) == []


def test_since_lists_only_what_left_after_it(api):
    first, second = RecommendationFactory.create_batch(2)
    first.delete()
    IssuedReference.objects.filter(reference="GOV-1").update(
        withdrawn_at=timezone.now() - timedelta(days=2)
    )
    moment = timezone.now() - timedelta(days=1)
    second.delete()

    assert withdrawn(api, since=moment.isoformat()) == ["GOV-2"]
    assert withdrawn(api) == ["GOV-1", "GOV-2"]


def test_unpublishing_a_linked_example_marks_its_recommendations_changed(api):
    example = ExampleFactory()
    recommendation = RecommendationFactory()
    recommendation.examples.add(example)
    moment = timezone.now()

    example.publication_state = PublicationState.DRAFT
    example.save()

    assert changed_since(api, moment) == ["GOV-1"]


def test_deleting_a_linked_theme_or_example_marks_its_recommendations_changed(api):
    theme, example = ThemeFactory(), ExampleFactory()
    RecommendationFactory(themes=[theme]).examples.add(example)
    RecommendationFactory()
    moment = timezone.now()
    theme.delete()
    assert changed_since(api, moment) == ["GOV-1"]

    moment = timezone.now()
    Example.objects.all().delete()
    assert changed_since(api, moment) == ["GOV-1"]


def test_relating_two_recommendations_marks_the_far_one_changed(api):
    one, other = RecommendationFactory.create_batch(2)
    moment = timezone.now()

    one.related.add(other)

    assert changed_since(api, moment) == ["GOV-2"]
    assert api.get("/api/v1/recommendations/GOV-2/").json()["related"][0]["reference"] == "GOV-1"


def test_withdrawing_a_recommendation_marks_those_related_to_it_changed(api):
    one, other = RecommendationFactory.create_batch(2)
    one.related.add(other)
    moment = timezone.now()

    other.delete()

    assert changed_since(api, moment) == ["GOV-1"]
    assert api.get("/api/v1/recommendations/GOV-1/").json()["related"] == []
