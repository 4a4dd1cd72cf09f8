import pytest
from django.core.exceptions import ValidationError

from areas.models import Area
from recommendations.models import IssuedReference, Recommendation
from tests.factories import RecommendationFactory

pytestmark = pytest.mark.django_db


def area(slug):
    return Area.objects.get(slug=slug)


def test_references_are_numbered_per_area_in_order():
    first_gov = RecommendationFactory(area=area("governance"))
    first_tech = RecommendationFactory(area=area("technology"))
    second_gov = RecommendationFactory(area=area("governance"))

    assert [first_gov.reference, second_gov.reference] == ["GOV-1", "GOV-2"]
    assert first_tech.reference == "TECH-1"


def test_a_reference_survives_editing_and_moving_to_another_area():
    recommendation = RecommendationFactory(area=area("governance"))
    recommendation.title = "A better title"
    recommendation.area = area("culture")
    recommendation.save()

    recommendation.refresh_from_db()
    assert recommendation.reference == "GOV-1"
    assert recommendation.area.slug == "culture"
    assert RecommendationFactory(area=area("culture")).reference == "CULT-1"


def test_a_reference_cannot_be_overwritten_on_a_saved_recommendation():
    recommendation = RecommendationFactory(area=area("governance"))
    reloaded = Recommendation.objects.get(pk=recommendation.pk)
    reloaded.reference = "GOV-99"

    with pytest.raises(ValidationError):
        reloaded.full_clean()
    reloaded.save()
    assert Recommendation.objects.get(pk=recommendation.pk).reference == "GOV-1"


def test_a_deleted_recommendations_reference_is_never_reused():
    RecommendationFactory(area=area("governance"))
    second = RecommendationFactory(area=area("governance"))
    second.delete()

    assert RecommendationFactory(area=area("governance")).reference == "GOV-3"
    reuse = RecommendationFactory.build(area=area("governance"), reference="GOV-2")
    with pytest.raises(ValidationError, match="used before"):
        reuse.full_clean()
    with pytest.raises(ValidationError):
        reuse.save()
    assert not Recommendation.objects.filter(reference="GOV-2").exists()


def test_a_typed_reference_is_kept_and_the_numbering_continues_after_it():
    typed = RecommendationFactory(area=area("governance"), reference="gov-7")

    assert typed.reference == "GOV-7"
    assert RecommendationFactory(area=area("governance")).reference == "GOV-8"


def test_references_are_unique_across_all_recommendations():
    references = [RecommendationFactory(area=area("leadership")).reference for _ in range(5)]

    assert len(set(references)) == 5
    assert IssuedReference.objects.filter(prefix="LEAD").count() == 5


def test_a_failed_save_does_not_use_up_a_reference():
    RecommendationFactory(area=area("governance"), slug="taken")
    with pytest.raises(Exception):  # noqa: B017 - the unique slug's IntegrityError
        RecommendationFactory(area=area("governance"), slug="taken")

    assert RecommendationFactory(area=area("governance")).reference == "GOV-2"
