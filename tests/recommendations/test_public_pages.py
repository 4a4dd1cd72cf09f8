import pytest

from areas.models import Area, Theme
from tests.factories import ExampleFactory, RecommendationFactory

# Budgets count what a page itself costs, so the page cache is off.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]


def test_a_published_recommendation_is_readable_at_its_reference(client):
    recommendation = RecommendationFactory(title="Share data openly")

    response = client.get("/recommendations/GOV-1/")

    assert response.status_code == 200
    assert "Share data openly" in response.text
    assert recommendation.get_absolute_url() == "/recommendations/GOV-1/"


def test_a_reference_in_lower_case_redirects_to_the_canonical_address(client):
    RecommendationFactory()

    response = client.get("/recommendations/gov-1/")

    assert response.status_code == 301
    assert response["Location"] == "/recommendations/GOV-1/"


def test_draft_recommendations_are_hidden_from_the_public(client):
    RecommendationFactory(draft=True, title="Secret plan")

    assert client.get("/recommendations/GOV-1/").status_code == 404
    assert "Secret plan" not in client.get("/recommendations/").text
    assert "Secret plan" not in client.get("/areas/governance/").text


def test_a_draft_example_is_hidden_and_a_published_one_shown(client):
    ExampleFactory(title="Hidden case", slug="hidden-case", publication_state="draft")
    ExampleFactory(title="Shown case", slug="shown-case")

    assert client.get("/examples/hidden-case/").status_code == 404
    assert client.get("/examples/shown-case/").status_code == 200
    listing = client.get("/examples/").text
    assert "Shown case" in listing and "Hidden case" not in listing


def test_an_area_page_lists_its_published_recommendations(client):
    RecommendationFactory(title="In governance")
    RecommendationFactory(title="In culture", area=Area.objects.get(slug="culture"))

    response = client.get("/areas/governance/")

    assert response.status_code == 200
    assert "In governance" in response.text and "In culture" not in response.text


def test_a_theme_page_lists_recommendations_across_areas(client):
    theme = Theme.objects.create(name="Agile", slug="agile")
    RecommendationFactory(title="Agile governance", themes=[theme])
    RecommendationFactory(
        title="Agile culture", area=Area.objects.get(slug="culture"), themes=[theme]
    )
    RecommendationFactory(title="Not agile")

    response = client.get("/themes/agile/")

    assert "Agile governance" in response.text and "Agile culture" in response.text
    assert "Not agile" not in response.text


def test_an_unknown_filter_value_shows_a_message_not_an_error(client):
    response = client.get("/recommendations/", {"status": "bogus", "area": "nowhere"})

    assert response.status_code == 200
    assert "Some filters could not be used" in response.text


@pytest.mark.parametrize(
    "path", ["/", "/recommendations/", "/areas/governance/", "/themes/agile/", "/examples/"]
)
def test_public_lists_cost_a_fixed_number_of_queries(client, path, django_assert_max_num_queries):
    theme = Theme.objects.create(name="Agile", slug="agile")
    for area in Area.objects.all():
        for recommendation in RecommendationFactory.create_batch(4, area=area, themes=[theme]):
            recommendation.examples.add(ExampleFactory())

    with django_assert_max_num_queries(8):
        assert client.get(path).status_code == 200


def test_a_recommendation_page_costs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    recommendation = RecommendationFactory()
    for other in RecommendationFactory.create_batch(5):
        recommendation.related.add(other)
        recommendation.examples.add(ExampleFactory())

    with django_assert_max_num_queries(8):
        assert client.get(recommendation.get_absolute_url()).status_code == 200
