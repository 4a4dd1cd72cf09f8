import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from areas.models import Area, Theme
from recommendations.models import (
    Example,
    PublicationState,
    PublicChange,
    Recommendation,
    Reference,
    Report,
)
from recommendations.services import public_change_record

SEED_FILE = Path(settings.BASE_DIR) / "fixtures" / "cuspe-2017.json"
DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demonstration.json"


def publication(published):
    return PublicationState.PUBLISHED if published else PublicationState.DRAFT


class Command(BaseCommand):
    """Load the real seed content (the CUSPE report, its areas and themes), and the demo if asked.

    Idempotent: records are matched by slug (references by title); what exists is left as it
    is, so a second run changes nothing and an editor's changes are never overwritten. Blank
    area descriptions are filled in from the seed.
    """

    help = (
        "Load the CUSPE 2017 report record, the six areas' descriptions and the themes. "
        "With --demo, also load demonstration content (never in production)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also load the demonstration recommendations, examples and references.",
        )

    @transaction.atomic
    def handle(self, *args, demo=False, **options):
        created = self.load_seed(json.loads(SEED_FILE.read_text()))
        if demo:
            created += self.load_demo(json.loads(DEMO_FILE.read_text()))
        self.stdout.write(
            self.style.SUCCESS(f"Content loaded: {created} new records.")
            if created
            else "Content already loaded: nothing changed."
        )

    def load_seed(self, seed):
        created = int(self.load_report(seed["report"])[1])
        for position, entry in enumerate(seed["areas"], start=1):
            area, new = Area.objects.get_or_create(
                slug=entry["slug"],
                defaults={
                    "name": entry["name"],
                    "code": entry["code"],
                    "position": position,
                    "description": entry["description"],
                    "source_url": entry["source_url"],
                },
            )
            created += new
            if not new and not area.description:
                area.description, area.source_url = entry["description"], entry["source_url"]
                area.save()
                created += 1
        for position, entry in enumerate(seed["themes"], start=1):
            created += Theme.objects.get_or_create(
                slug=entry["slug"],
                defaults={
                    "name": entry["name"],
                    "position": position,
                    "summary": entry["summary"],
                    "description": entry["description"],
                    "source_url": seed["themes_source_url"],
                },
            )[1]
        return created

    def load_report(self, entry):
        fields = {key: value for key, value in entry.items() if key != "slug"}
        return Report.objects.get_or_create(slug=entry["slug"], defaults=fields)

    def load_demo(self, demo):
        report, created = self.load_report(demo["report"])
        created = int(created)
        references = {}
        for entry in demo["references"]:
            fields = {key: value for key, value in entry.items() if key not in {"key", "title"}}
            references[entry["key"]], new = Reference.objects.get_or_create(
                title=entry["title"], defaults=fields
            )
            created += new
        examples = {}
        for entry in demo["examples"]:
            fields = {
                key: value for key, value in entry.items() if key not in {"slug", "published"}
            }
            fields["publication_state"] = publication(entry["published"])
            examples[entry["slug"]], new = Example.objects.get_or_create(
                slug=entry["slug"], defaults=fields
            )
            created += new
        areas = {area.slug: area for area in Area.objects.all()}
        themes = {theme.slug: theme for theme in Theme.objects.all()}
        new_recommendations = {}
        for entry in demo["recommendations"]:
            if Recommendation.objects.filter(slug=entry["slug"]).exists():
                continue
            recommendation = Recommendation.objects.create(
                report=report,
                area=areas[entry["area"]],
                publication_state=publication(entry["published"]),
                **{
                    field: entry[field]
                    for field in [
                        "slug", "title", "summary", "rationale", "source_section", "priority",
                        "horizon", "impact", "effort", "evidence", "status",
                    ]
                },
            )  # fmt: skip
            if recommendation.is_published:
                public_change_record(
                    item=recommendation,
                    kind=PublicChange.Kind.PUBLISHED,
                    at=recommendation.published_at,
                )
            recommendation.themes.set(themes[slug] for slug in entry["themes"])
            recommendation.examples.set(examples[slug] for slug in entry["examples"])
            recommendation.sources.set(references[key] for key in entry["references"])
            new_recommendations[entry["slug"]] = (recommendation, entry["related"])
        for recommendation, related in new_recommendations.values():
            recommendation.related.add(*Recommendation.objects.filter(slug__in=related))
        return created + len(new_recommendations)
