import pytest
from django.core.management import call_command

from areas.models import Area
from tests.factories import RecommendationFactory

# Budgets count what a page itself costs, so the page cache is off.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]


def test_home_shows_the_question_the_vision_and_the_six_areas(client):
    call_command("load_content")

    response = client.get("/")

    assert response.status_code == 200
    page = response.text
    assert "What are the next generation of models to transform organisations" in page
    assert "collaborative, citizen-focused, agile and responsive" in page
    for area in Area.objects.all():
        assert area.name in page
        assert area.get_absolute_url() in page


def test_home_counts_only_published_recommendations_per_area(client):
    culture = Area.objects.get(slug="culture")
    RecommendationFactory.create_batch(2, area=culture)
    RecommendationFactory(area=culture, draft=True)
    RecommendationFactory(area=Area.objects.get(slug="technology"), draft=True)

    response = client.get("/")

    counts = {area.slug: area.recommendation_count for area in response.context["areas"]}
    assert counts == {
        "governance": 0,
        "organisation": 0,
        "system-methodologies": 0,
        "leadership": 0,
        "culture": 2,
        "technology": 0,
    }
    assert "2 published recommendations in all." in response.text


def test_home_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for area in Area.objects.all():
        RecommendationFactory.create_batch(5, area=area)

    with django_assert_max_num_queries(5):
        assert client.get("/").status_code == 200
