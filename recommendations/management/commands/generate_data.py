"""Generated benchmark data: many realistic recommendations, made fast with bulk inserts.

Every row is filed under one report marked as demonstration content ("Generated benchmark
data"), generated examples have slugs starting `generated-`, and generated references name a
publisher ending in GENERATED_MARK, so `--clear` finds exactly what an earlier run made and
nothing else. The real seed's report is never read or changed.

Bulk inserts skip `save()`, so this command does by hand what `save()` and the workflow would
do: it issues each reference (continuing every area's numbering, with its IssuedReference row
so later saves never collide), renders each distinct Markdown text once, sets each
recommendation's status, progress and last-reviewed date from its latest progress update, and
records what the public saw change. No history rows are written: the data has no editorial
past. On PostgreSQL a trigger fills each row's search document, bulk inserts included. Bulk
inserts send no signals either, so the page cache is told of the change at the end.
"""

import random
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from areas.models import Area, Theme
from cuspe_portal.cache import content_changed
from cuspe_portal.markdown import render_markdown
from recommendations.models import (
    Example,
    IssuedReference,
    ProgressUpdate,
    PublicationState,
    PublicChange,
    Recommendation,
    Reference,
    Report,
)

REPORT_SLUG = "generated-benchmark-data"
EXAMPLE_SLUG_PREFIX = "generated-example-"
GENERATED_MARK = "(generated)"
BATCH_SIZE = 2000
# Fixed dates, so a seed gives the same content whenever it runs; all are in the past.
EPOCH = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
SPAN_DAYS = 900

# What a recommendation proposes, per area slug; areas not listed use every list together.
SUBJECTS = {
    "governance": [
        "a joint decision forum with the district councils",
        "shared scrutiny of cross-boundary services",
        "pooled budgets for prevention",
        "a single outcomes framework with health partners",
        "delegated decisions for locality boards",
        "published reasons for every key decision",
        "a members' panel on transformation",
        "joint commissioning with the combined authority",
    ],
    "organisation": [
        "neighbourhood teams with their own budgets",
        "a single front door for residents' enquiries",
        "shared back-office services with neighbouring councils",
        "multi-disciplinary teams around families",
        "flexible roles across directorates",
        "a smaller, more strategic corporate centre",
        "co-located services in community hubs",
        "a shared service for procurement",
    ],
    "system-methodologies": [
        "systems thinking reviews of demand",
        "agile delivery for digital projects",
        "user research before every service change",
        "lean reviews of the planning process",
        "a test-and-learn fund for small pilots",
        "outcome-based commissioning for care",
        "service design standards",
        "a failure-demand measure for every service",
    ],
    "leadership": [
        "a shared leadership programme with partners",
        "coaching for first-line managers",
        "distributed leadership in front-line teams",
        "a leadership charter for transformation",
        "mentoring between members and officers",
        "time for senior leaders on the front line",
        "a leadership network across the county",
        "peer review of leadership behaviours",
    ],
    "culture": [
        "a staff ideas scheme with a small fund",
        "permission to try new ways of working",
        "open recognition of what went wrong and why",
        "regular conversations with residents",
        "a volunteering day for every member of staff",
        "cross-team secondments",
        "a culture survey every year",
        "a shared set of values written with staff",
    ],
    "technology": [
        "open data on highways repairs",
        "a cloud-first hosting policy",
        "a single record of each resident's contacts",
        "online self-service for common requests",
        "data sharing agreements with the NHS",
        "digital skills training for every member of staff",
        "sensors to plan gritting and road repairs",
        "a public register of the council's algorithms",
    ],
}
ALL_SUBJECTS = [subject for subjects in SUBJECTS.values() for subject in subjects]
ACTIONS = [
    "Set up", "Pilot", "Introduce", "Extend", "Fund", "Co-design", "Commission", "Adopt",
    "Review", "Bring in", "Publish", "Build",
]  # fmt: skip
PLACES = [
    "Cambridge", "East Cambridgeshire", "Fenland", "Huntingdonshire", "South Cambridgeshire",
    "Peterborough", "the market towns", "rural parishes", "every locality", "the whole county",
]  # fmt: skip
WHO = [
    "The council should", "The council and its partners should", "Officers should",
    "Members should ask officers to", "The county should", "Directorates should jointly",
    "The transformation team should", "Service leads should",
]  # fmt: skip
PURPOSES = [
    "residents get help earlier and closer to home",
    "money follows outcomes rather than services",
    "decisions are taken by the people nearest to the problem",
    "the council learns quickly from what works and what does not",
    "services are designed around the people who use them",
    "staff have the freedom and the skills to improve their own work",
    "partners stop duplicating effort across the county",
    "the public can see what is decided and why",
    "demand is reduced at its source",
    "savings are made without cutting what residents value most",
]
EVIDENCE = [
    "Councils that tried this saw faster decisions within a year.",
    "Residents told the review that the current arrangements are hard to follow.",
    "Budget pressures make the present approach hard to sustain.",
    "Several directorates already work this way informally.",
    "The evidence is mixed, so a small pilot should come first.",
    "Partners have said they are willing to take part.",
]
RATIONALE_OPENINGS = [
    "Many problems residents face, such as transport, housing and care, do not stop at one "
    "organisation's edge. Decisions taken separately can pull in different directions.",
    "The council faces budget reductions while its population grows. Doing the same things "
    "more cheaply will not close the gap; doing different things might.",
    "Front-line staff often know what would work better but have no route to try it. "
    "Ideas are lost between teams and layers of management.",
    "Residents repeat their story to several services, each of which holds part of the "
    "picture. Nobody sees the whole person.",
    "Technology now makes it cheap to share information and to measure what happens, yet "
    "most processes were designed on paper.",
    "Devolution and the new combined authority change who decides what, and when. The "
    "council's own arrangements have not yet caught up.",
]
RATIONALE_POINTS = [
    "agree a small number of **shared priorities** each year",
    "give each partner a clear, equal voice",
    "publish decisions and the reasons for them",
    "start small, measure, and scale what works",
    "free staff time by removing duplicate steps",
    "report progress openly to members and the public",
    "involve residents from the start, not at the end",
    "make one person accountable for each outcome",
    "share data under clear, published rules",
    "stop at least one thing for each new thing started",
]
RATIONALE_CLOSINGS = [
    "See the examples for places where this has been tried.",
    "The risks are real but manageable if the work is phased.",
    "This builds on the council's existing transformation programme.",
    "It would need the support of members across parties.",
    "",
]
NOTES = [
    "Discussed at the transformation board; a lead officer has been named.",
    "A pilot started in one locality. Early feedback from residents is **positive**.",
    "Paused while the budget for next year is agreed.",
    "Partners have signed a memorandum of understanding.",
    "The first phase is complete; the second is being planned.",
    "Members asked for a fuller business case before going further.",
    "Rolled out across the county. See the evaluation for what changed.",
    "Not taken forward: the costs outweighed the likely benefits.",
    "Work is on track; a review is due in six months.",
    "Staff workshops held in every directorate; themes fed into the plan.",
]
TEAMS = [
    "Transformation team", "Adults and Safeguarding", "Children and Education", "Place and "
    "Economy", "Finance and Resources", "Public Health", "Digital and IT", "People and HR",
]  # fmt: skip
EXAMPLE_INITIATIVES = [
    "Neighbourhood teams with their own budgets", "A single front door for enquiries",
    "Open data on street repairs", "A leadership exchange between councils",
    "A staff ideas fund", "Agile delivery of a benefits service", "Pooled budgets for care",
    "A community hub in a market town", "Coaching for managers", "A data sharing pact",
]  # fmt: skip
EXAMPLE_PLACES = [
    "Northbrook", "Eastmere", "Westhaven", "Southby", "Oakfield", "Ashford Vale",
    "Kingsmoor", "Riverton", "Hollowell", "Brackenridge",
]  # fmt: skip
REFERENCE_TOPICS = [
    "Working across organisational boundaries", "Systems thinking in public services",
    "Leadership for transformation", "Culture change in local government",
    "Digital public services", "Outcome-based commissioning", "Devolution and local power",
    "Agile methods in government", "Evidence for prevention", "Open data and accountability",
]  # fmt: skip
REFERENCE_KINDS = ["a review", "lessons from practice", "a survey", "a framework", "case studies"]
SURNAMES = [
    "Smith", "Patel", "Jones", "Khan", "Williams", "Brown", "Taylor", "Davies", "Evans",
    "Wilson", "Thomas", "Roberts", "Johnson", "Walker", "Wright", "Green",
]  # fmt: skip
PUBLISHERS = [
    "Local Government Research Unit", "Institute for Public Services",
    "Centre for Local Democracy", "Journal of Public Administration", "Policy Lab",
]  # fmt: skip

# (publication state, weight): mostly published, some drafts, a few in review or archived.
STATES = [
    (PublicationState.PUBLISHED, 88),
    (PublicationState.DRAFT, 7),
    (PublicationState.IN_REVIEW, 3),
    (PublicationState.ARCHIVED, 2),
]
Status = Recommendation.Status
ARCHIVED = PublicationState.ARCHIVED
# Where progress updates take a recommendation, in order; the last is its status now.
STATUS_PATHS = [
    [],
    [Status.UNDER_CONSIDERATION],
    [Status.UNDER_CONSIDERATION, Status.ACCEPTED],
    [Status.ACCEPTED, Status.IN_PROGRESS],
    [Status.UNDER_CONSIDERATION, Status.ACCEPTED, Status.IN_PROGRESS],
    [Status.ACCEPTED, Status.IN_PROGRESS, Status.IMPLEMENTED],
    [Status.UNDER_CONSIDERATION, Status.NOT_TAKEN_FORWARD],
    [Status.IN_PROGRESS],
]
PROGRESS_BY_STATUS = {Status.IN_PROGRESS: (10, 90), Status.IMPLEMENTED: (100, 100)}


class Command(BaseCommand):
    """Generate realistic demonstration data at a chosen size, for benchmarks and load tests.

    `--recommendations 100000` takes about two minutes on 2 cores and PostgreSQL. The same
    `--seed` gives the same content; `--clear` first removes what earlier runs generated
    (their references stay issued, so they are never reused).
    """

    help = "Generate realistic demonstration data at a chosen size."

    def add_arguments(self, parser):
        parser.add_argument(
            "--recommendations",
            type=int,
            required=True,
            help="How many recommendations to make (with examples, references, themes, "
            "related links and progress updates in proportion).",
        )
        parser.add_argument("--seed", type=int, default=1, help="The random seed (default 1).")
        parser.add_argument(
            "--clear",
            action="store_true",
            help="First remove everything that earlier runs of this command generated.",
        )

    def handle(self, *args, recommendations, seed, clear, **options):
        if recommendations < 1:
            raise CommandError("--recommendations must be at least 1.")
        areas = list(Area.objects.order_by("position", "pk"))
        themes = list(Theme.objects.order_by("position", "pk"))
        if not areas or not themes:
            raise CommandError(
                "There are no areas or no themes: run `manage.py migrate` and "
                "`manage.py load_content` first."
            )
        started = time.monotonic()
        with transaction.atomic():
            if clear:
                removed = generated_data_clear()
                self.stdout.write(f"Removed {removed} generated recommendations.")
            counts = DataGenerator(areas=areas, themes=themes, rng=random.Random(seed)).generate(
                recommendations
            )
            content_changed()
        summary = ", ".join(f"{total} {name}" for name, total in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Generated {summary} in {time.monotonic() - started:.1f} s.")
        )


def generated_report():
    """The report every generated recommendation belongs to (made on first use)."""
    report, _created = Report.objects.get_or_create(
        slug=REPORT_SLUG,
        defaults={
            "title": "Generated benchmark data (not council policy)",
            "short_title": "Generated benchmark data",
            "year": EPOCH.year,
            "commissioning_body": "Portal benchmark (machine-generated)",
            "summary": (
                "Machine-generated recommendations made by `manage.py generate_data` to measure "
                "the portal at scale. They are not recommendations of any report or council, "
                "and they are not council policy."
            ),
            "is_demonstration": True,
        },
    )
    return report


def generated_data_clear():
    """Delete what earlier runs generated; return how many recommendations went.

    The rows are deleted in bulk, without per-row signals or history: they were made without
    them. The references they held stay issued (never reused), and those that were public are
    marked withdrawn, as any deletion would. A row of another model still pointing at them
    makes the database refuse, and nothing is deleted.
    """
    recommendations = Recommendation.objects.filter(report__slug=REPORT_SLUG)
    examples = Example.objects.filter(slug__startswith=EXAMPLE_SLUG_PREFIX)
    references = Reference.objects.filter(publisher__endswith=GENERATED_MARK)
    IssuedReference.objects.filter(
        withdrawn_at__isnull=True,
        reference__in=recommendations.published().values("reference"),
    ).update(withdrawn_at=timezone.now())
    Related = Recommendation.related.through
    deletions = [
        PublicChange.objects.filter(recommendation__in=recommendations),
        PublicChange.objects.filter(example__in=examples),
        ProgressUpdate.objects.filter(recommendation__in=recommendations),
        Recommendation.themes.through.objects.filter(recommendation__in=recommendations),
        Related.objects.filter(from_recommendation__in=recommendations),
        Related.objects.filter(to_recommendation__in=recommendations),
        Recommendation.examples.through.objects.filter(example__in=examples),
        Recommendation.examples.through.objects.filter(recommendation__in=recommendations),
        Recommendation.sources.through.objects.filter(reference__in=references),
        Recommendation.sources.through.objects.filter(recommendation__in=recommendations),
    ]
    for rows in deletions:
        rows._raw_delete(rows.db)  # one DELETE, no per-row signals (see the docstring)
    removed = recommendations.count()
    for rows in (recommendations, examples, references):
        rows._raw_delete(rows.db)
    return removed


class DataGenerator:
    """Makes the rows of one run; `rng` decides everything, so a seed gives the same data."""

    def __init__(self, *, areas, themes, rng):
        self.areas, self.themes, self.rng = areas, themes, rng
        self.report = generated_report()
        self.rendered = {}
        self.now = timezone.now()
        self.rationales = [self.rationale() for _ in range(300)]

    def markdown(self, text):
        """Render each distinct text once."""
        if text not in self.rendered:
            self.rendered[text] = render_markdown(text)
        return self.rendered[text]

    def moment(self, *, after=None):
        """A fixed, seeded moment in the past (after `after`, if given)."""
        start = after or EPOCH
        days = self.rng.uniform(0, max(1.0, (EPOCH + timedelta(SPAN_DAYS) - start).days))
        return start + timedelta(days=days)

    def generate(self, total):
        examples = self.examples(max(5, total // 20))
        references = self.references(max(5, total // 10))
        made = {"recommendations": 0, "progress updates": 0, "public changes": 0}
        next_numbers = self.next_reference_numbers()
        created = []  # the pk of every recommendation so far, for related links
        for start in range(0, total, BATCH_SIZE):
            batch = [
                self.recommendation(next_numbers) for _ in range(min(BATCH_SIZE, total - start))
            ]
            IssuedReference.objects.bulk_create(
                IssuedReference(
                    reference=row.reference,
                    prefix=row.area.code,
                    number=row.number,
                    # An archived recommendation has left the public site: its tombstone.
                    withdrawn_at=self.now if row.publication_state == ARCHIVED else None,
                )
                for row, _updates in batch
            )
            Recommendation.objects.bulk_create([row for row, _updates in batch])
            self.links(batch, examples, references, created)
            made["progress updates"] += self.updates(batch)
            made["public changes"] += self.public_changes(batch)
            made["recommendations"] += len(batch)
        return {**made, "examples": len(examples), "references": len(references)}

    def next_reference_numbers(self):
        """The next free number for each area's prefix, after every reference ever issued."""
        issued = dict(
            IssuedReference.objects.filter(prefix__in=[area.code for area in self.areas])
            .values_list("prefix")
            .annotate(last=Max("number"))
        )
        return {area.code: (issued.get(area.code) or 0) + 1 for area in self.areas}

    def examples(self, count):
        rng = self.rng
        taken = Example.objects.filter(slug__startswith=EXAMPLE_SLUG_PREFIX).values_list(
            "slug", flat=True
        )
        first = 1 + max((int(slug.rsplit("-", 1)[1]) for slug in taken), default=0)
        descriptions = [
            "\n\n".join(rng.sample(RATIONALE_OPENINGS, 2))
            + f"\n\n- {rng.choice(RATIONALE_POINTS)}\n- {rng.choice(RATIONALE_POINTS)}"
            for _ in range(50)
        ]
        rows = []
        for number in range(first, first + count):
            place = rng.choice(EXAMPLE_PLACES)
            published = rng.random() < 0.9
            description = rng.choice(descriptions)
            rows.append(
                Example(
                    title=f"{rng.choice(EXAMPLE_INITIATIVES)} in {place}",
                    slug=f"{EXAMPLE_SLUG_PREFIX}{number}",
                    organisation=f"{place} Council (fictional)",
                    place=f"{place} (fictional)",
                    year=rng.randint(2012, 2024),
                    summary=(
                        f"A fictional council in {place} tried this; "
                        f"{rng.choice(PURPOSES).split(' ', 1)[1]} was the aim."
                    ),
                    description=description,
                    description_html=self.markdown(description),
                    publication_state=(
                        PublicationState.PUBLISHED if published else PublicationState.DRAFT
                    ),
                    published_at=self.moment() if published else None,
                )
            )
        return Example.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def references(self, count):
        rng = self.rng
        rows = [
            Reference(
                title=f"{rng.choice(REFERENCE_TOPICS)}: {rng.choice(REFERENCE_KINDS)}",
                authors=" and ".join(
                    f"{surname}, {rng.choice('ABCDEFGHJKLMNPRSTW')}."
                    for surname in rng.sample(SURNAMES, rng.randint(1, 3))
                ),
                year=rng.randint(2000, 2024),
                publisher=f"{rng.choice(PUBLISHERS)} {GENERATED_MARK}",
            )
            for _ in range(count)
        ]
        return Reference.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def rationale(self):
        rng = self.rng
        points = "\n".join(f"- {point};" for point in rng.sample(RATIONALE_POINTS, 3))
        parts = [rng.choice(RATIONALE_OPENINGS), "The change would:", points]
        parts.append(rng.choice(RATIONALE_CLOSINGS))
        return "\n\n".join(part for part in parts if part)

    def recommendation(self, next_numbers):
        """An unsaved recommendation with its reference issued, and its status path."""
        rng = self.rng
        area = rng.choice(self.areas)
        number = next_numbers[area.code]
        next_numbers[area.code] += 1
        reference = f"{area.code}-{number}"
        subject = rng.choice(SUBJECTS.get(area.slug) or ALL_SUBJECTS)
        action = rng.choice(ACTIONS)
        place = rng.choice(PLACES)
        title = f"{action} {subject} in {place}"
        summary = (
            f"{rng.choice(WHO)} {action.lower()} {subject} in {place}, so that "
            f"{rng.choice(PURPOSES)}. {rng.choice(EVIDENCE)}"
        )
        rationale = rng.choice(self.rationales)
        state = rng.choices([s for s, _w in STATES], weights=[w for _s, w in STATES])[0]
        path = rng.choice(STATUS_PATHS)
        if not path:
            status = rng.choice([Status.PROPOSED, Status.UNDER_CONSIDERATION])
        else:
            status = path[-1]
        was_public = state in (PublicationState.PUBLISHED, PublicationState.ARCHIVED)
        published_at = self.moment() if was_public else None
        updates = self.update_rows(path, after=published_at or EPOCH)
        with_figure = [update for update in updates if update.progress is not None]
        row = Recommendation(
            report=self.report,
            area=area,
            reference=reference,
            number=number,
            title=title[:255],
            slug=f"{slugify(title)[:200]}-{reference.lower()}",
            summary=summary,
            rationale=rationale,
            rationale_html=self.markdown(rationale),
            source_section=f"Section {rng.randint(1, 9)}.{rng.randint(1, 12)}",
            priority=rng.choice(["high", "medium", "medium", "low", ""]),
            horizon=rng.choice(["short", "medium", "long", ""]),
            impact=rng.choice(["low", "medium", "high", ""]),
            effort=rng.choice(["low", "medium", "high", ""]),
            evidence=rng.choice(["limited", "moderate", "strong", ""]),
            status=status,
            progress=with_figure[-1].progress if with_figure else None,
            last_reviewed_on=updates[-1].date if updates else None,
            owner_team=rng.choice(TEAMS),
            target_date=(EPOCH + timedelta(days=rng.randint(200, 1500))).date(),
            publication_state=state,
            published_at=published_at,
        )
        return row, updates

    def update_rows(self, path, *, after):
        """Unsaved progress updates along `path`, oldest first."""
        rng = self.rng
        updates, moment = [], after
        for status in path:
            moment = self.moment(after=moment)
            low, high = PROGRESS_BY_STATUS.get(status, (None, None))
            note = rng.choice(NOTES)
            updates.append(
                ProgressUpdate(
                    date=moment.date(),
                    status=status,
                    progress=rng.randint(low, high) if low is not None else None,
                    note=note,
                    note_html=self.markdown(note),
                    is_public=rng.random() < 0.85,
                )
            )
        return updates

    def links(self, batch, examples, references, created):
        """Themes, examples, references and related recommendations (among those `created`
        before each one) for a saved batch."""
        rng = self.rng
        through = Recommendation.themes.through
        theme_links, example_links, source_links, related_links = [], [], [], []
        for row, _updates in batch:
            for theme in rng.sample(self.themes, rng.randint(1, min(3, len(self.themes)))):
                theme_links.append(through(recommendation_id=row.pk, theme_id=theme.pk))
            for example in rng.sample(examples, rng.choice([0, 0, 1, 1, 2])):
                example_links.append(
                    Recommendation.examples.through(recommendation_id=row.pk, example_id=example.pk)
                )
            for source in rng.sample(references, rng.randint(0, 3)):
                source_links.append(
                    Recommendation.sources.through(recommendation_id=row.pk, reference_id=source.pk)
                )
            for other in rng.sample(created, min(len(created), rng.randint(0, 2))):
                for one, two in ((row.pk, other), (other, row.pk)):  # symmetrical
                    related_links.append(
                        Recommendation.related.through(
                            from_recommendation_id=one, to_recommendation_id=two
                        )
                    )
            created.append(row.pk)
        for rows in (theme_links, example_links, source_links, related_links):
            if rows:
                type(rows[0]).objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def updates(self, batch):
        rows = []
        for row, updates in batch:
            for update in updates:
                update.recommendation_id = row.pk
                rows.append(update)
        ProgressUpdate.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        return len(rows)

    def public_changes(self, batch):
        """What the workflow would have recorded: publications, public progress, archiving."""
        changes = []
        for row, updates in batch:
            if row.published_at is None:
                continue
            title = f"{row.reference} {row.title}"[:300]
            changes.append(
                PublicChange(
                    kind=PublicChange.Kind.PUBLISHED, at=row.published_at, recommendation=row,
                    title=title,
                )
            )  # fmt: skip
            for update in updates:
                if update.is_public:
                    figure = f" ({update.progress}%)" if update.progress is not None else ""
                    changes.append(
                        PublicChange(
                            kind=PublicChange.Kind.PROGRESS,
                            at=datetime.combine(update.date, EPOCH.timetz()),
                            recommendation=row,
                            update=update,
                            title=title,
                            description=f"{update.get_status_display()}{figure}",
                        )
                    )
            if row.publication_state == ARCHIVED:
                changes.append(
                    PublicChange(
                        kind=PublicChange.Kind.ARCHIVED, at=self.now, recommendation=row,
                        title=title,
                    )
                )  # fmt: skip
        PublicChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
        return len(changes)
