import pytest
from django.core.management import CommandError, call_command

from areas.models import Area
from recommendations.management.commands.generate_data import REPORT_SLUG
from recommendations.models import (
    Example,
    IssuedReference,
    ProgressUpdate,
    PublicationState,
    Recommendation,
    Reference,
    Report,
)
from tests.factories import RecommendationFactory

pytestmark = pytest.mark.django_db

SIZE = 50


@pytest.fixture
def seeded():
    call_command("load_content")
    return Report.objects.get(is_demonstration=False)


def generated():
    return Recommendation.objects.filter(report__slug=REPORT_SLUG)


def test_it_makes_the_recommendations_asked_for_with_everything_they_link_to(seeded):
    call_command("generate_data", recommendations=SIZE, seed=1)

    report = Report.objects.get(slug=REPORT_SLUG)
    assert report.is_demonstration
    assert "generated" in report.title.lower()
    assert generated().count() == SIZE
    assert set(generated().values_list("area__slug", flat=True)) == set(
        Area.objects.values_list("slug", flat=True)
    )
    assert generated().filter(themes__isnull=False).distinct().count() == SIZE
    assert generated().filter(examples__isnull=False).exists()
    assert generated().filter(sources__isnull=False).exists()
    assert generated().filter(related__isnull=False).exists()
    assert ProgressUpdate.objects.filter(recommendation__report=report).exists()
    assert Example.objects.exists() and Reference.objects.exists()
    assert all(row.rationale_html.startswith("<p>") for row in generated())
    assert not seeded.recommendations.exists()  # the real report is left alone


def test_most_are_published_and_some_are_drafts(seeded):
    call_command("generate_data", recommendations=SIZE, seed=1)

    published = generated().published().count()
    assert SIZE * 0.7 <= published < SIZE
    assert generated().filter(publication_state=PublicationState.DRAFT).exists()


def test_a_status_follows_the_latest_progress_update(seeded):
    call_command("generate_data", recommendations=SIZE, seed=1)

    for recommendation in generated().filter(updates__isnull=False).distinct():
        latest = recommendation.updates.latest_first().first()
        assert recommendation.status == latest.status
        assert recommendation.last_reviewed_on == latest.date


def test_references_are_unique_and_continue_each_areas_numbering(seeded):
    governance = Area.objects.get(slug="governance")
    existing = RecommendationFactory(area=governance, report=seeded)
    assert existing.reference == "GOV-1"

    call_command("generate_data", recommendations=SIZE, seed=1)

    references = list(generated().values_list("reference", flat=True))
    assert len(set(references)) == SIZE
    issued = set(IssuedReference.objects.values_list("reference", flat=True))
    assert set(references) <= issued
    governance_numbers = sorted(
        int(reference.split("-")[1]) for reference in references if reference.startswith("GOV-")
    )
    assert governance_numbers == list(range(2, 2 + len(governance_numbers)))


def test_a_recommendation_saved_afterwards_gets_the_next_free_reference(seeded):
    call_command("generate_data", recommendations=SIZE, seed=1)
    governance = Area.objects.get(slug="governance")
    last = max(
        int(reference.split("-")[1])
        for reference in generated().filter(area=governance).values_list("reference", flat=True)
    )

    later = RecommendationFactory(area=governance, report=seeded)

    assert later.reference == f"GOV-{last + 1}"


def test_published_ones_show_on_the_public_list_and_drafts_do_not(client, seeded):
    call_command("generate_data", recommendations=SIZE, seed=1)
    published = generated().published().order_by("area__position", "number").first()
    draft = generated().filter(publication_state=PublicationState.DRAFT).first()

    response = client.get("/recommendations/", {"report": REPORT_SLUG})

    assert response.status_code == 200
    assert response.context["count"] == generated().published().count()
    assert published.title in response.content.decode()
    assert client.get(published.get_absolute_url()).status_code == 200
    assert client.get(f"/recommendations/{draft.reference}/").status_code == 404


def test_the_same_seed_makes_the_same_content(seeded):
    def content():
        return list(
            generated()
            .order_by("pk")
            .values_list("area__slug", "title", "summary", "status", "publication_state")
        )

    call_command("generate_data", recommendations=20, seed=7)
    first = content()
    call_command("generate_data", recommendations=20, seed=7, clear=True)

    assert content() == first


def test_clear_removes_only_what_was_generated_and_never_reuses_a_reference(seeded):
    mine = RecommendationFactory(area=Area.objects.get(slug="governance"), report=seeded)
    call_command("generate_data", recommendations=SIZE, seed=1)
    first_references = set(generated().values_list("reference", flat=True))

    call_command("generate_data", recommendations=SIZE, seed=1, clear=True)

    assert generated().count() == SIZE
    assert Recommendation.objects.filter(pk=mine.pk).exists()
    assert not first_references & set(generated().values_list("reference", flat=True))
    assert IssuedReference.objects.withdrawn().filter(reference__in=first_references).exists()


def test_it_refuses_to_run_before_the_seed_is_loaded():
    with pytest.raises(CommandError, match="load_content"):
        call_command("generate_data", recommendations=5)
