import json

import pytest
from django.core.management import call_command

from areas.models import Area, Theme
from recommendations.models import Example, Recommendation, Reference, Report

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        model.__name__: sorted(
            json.dumps(row, default=str, sort_keys=True) for row in model.objects.values()
        )
        for model in [Area, Theme, Report, Reference, Example, Recommendation]
    }


def test_the_seed_loads_the_real_report_areas_and_themes_without_demonstration_content():
    call_command("load_content")

    report = Report.objects.get()
    assert report.title == "2017 CUSPE Policy Challenge: New Models for Transformation"
    assert not report.is_demonstration
    assert report.url.startswith("https://data.cambridgeshireinsight.org.uk/")
    assert Theme.objects.count() == 7
    assert all(area.description and area.source_url for area in Area.objects.all())
    assert not Recommendation.objects.exists()
    assert not Example.objects.exists()
    assert not Reference.objects.exists()


def test_loading_twice_changes_nothing():
    call_command("load_content", "--demo")
    first = snapshot()

    call_command("load_content", "--demo")

    assert snapshot() == first


def test_demonstration_content_hangs_off_a_report_marked_as_demonstration():
    call_command("load_content", "--demo")

    demo = Report.objects.get(is_demonstration=True)
    assert "not council policy" in demo.title
    assert Recommendation.objects.exclude(report=demo).count() == 0
    assert Recommendation.objects.filter(report=demo).count() == 18
    assert Recommendation.objects.published().count() == 16
    assert set(
        Area.objects.filter(recommendations__isnull=False).values_list("slug", flat=True)
    ) == {
        "governance",
        "organisation",
        "system-methodologies",
        "leadership",
        "culture",
        "technology",
    }


def test_the_seed_never_overwrites_an_editors_changes():
    call_command("load_content")
    governance = Area.objects.get(slug="governance")
    governance.description = "Rewritten by an editor."
    governance.save()

    call_command("load_content")

    assert Area.objects.get(slug="governance").description == "Rewritten by an editor."
