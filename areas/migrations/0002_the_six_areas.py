"""The report's six areas exist in every database from the first migrate.

Only names, codes and summaries restated from the report's published summary; the seed command
adds the longer descriptions, and editors may change any of it afterwards.
"""

from django.db import migrations

SIX_AREAS = [
    ("Governance", "governance", "GOV",
     "Governance linked to the new Combined Authority, citizen involvement, digital democracy, "
     "and open systems and open data: the questions the report's governance work examined."),
    ("Organisation", "organisation", "ORG",
     "Organisational structure: one of the three areas the report investigated first."),
    ("System Methodologies", "system-methodologies", "SYS",
     "System methods: one of the three areas the report investigated first."),
    ("Leadership", "leadership", "LEAD",
     "Leadership: one of the six areas in which the report makes recommendations."),
    ("Culture", "culture", "CULT",
     "The council's approach and culture, which the report's vision asks to change across the "
     "whole organisation."),
    ("Technology", "technology", "TECH",
     "Technology: digital technology is one of the four drivers of change in the council's "
     "brief, and improved infrastructure is part of the report's vision."),
]  # fmt: skip


def create_areas(apps, schema_editor):
    Area = apps.get_model("areas", "Area")
    for position, (name, slug, code, summary) in enumerate(SIX_AREAS, start=1):
        Area.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "code": code, "position": position, "summary": summary},
        )


def remove_areas(apps, schema_editor):
    # Recommendations' migrations depend on this app, so they are unapplied before this runs.
    Area = apps.get_model("areas", "Area")
    Area.objects.filter(slug__in=[slug for _, slug, _, _ in SIX_AREAS]).delete()


class Migration(migrations.Migration):
    dependencies = [("areas", "0001_initial")]

    operations = [migrations.RunPython(create_areas, remove_areas)]
