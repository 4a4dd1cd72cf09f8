import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recommendations.models import PendingState, PublicationState, Recommendation
from recommendations.resources import EXPORT_COLUMNS, RecommendationResource
from tests.factories import ExampleFactory, RecommendationFactory, ThemeFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:recommendations_recommendation_import")
PROCESS_URL = reverse("admin:recommendations_recommendation_process_import")


def export_all():
    return RecommendationResource().export(
        queryset=RecommendationResource.exportable(Recommendation.objects.all(), public=False)
    )


def snapshot():
    return list(Recommendation.objects.order_by("pk").values())


def upload(client, dataset, name="recommendations.csv"):
    """Send a CSV to the admin's import page (the dry run) and return the response."""
    return client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile(name, dataset.csv.encode(), "text/csv"),
        },
    )


def confirm(client, dry_run):
    form = dry_run.context["confirm_form"]
    return client.post(PROCESS_URL, {**form.initial, "resource": "0"})


def failed_rows(dry_run):
    """The numbers of the rows the dry run refused, as the page lists them."""
    result = dry_run.context["result"]
    return sorted(
        [invalid.number for invalid in result.invalid_rows]
        + [number for number, _ in result.row_errors()]
    )


def row(dataset, index, **changes):
    values = dict(zip(dataset.headers, dataset[index], strict=True))
    values.update(changes)
    dataset[index] = [values[header] for header in dataset.headers]


def in_group(name):
    user = UserFactory(username=name.lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def three_recommendations():
    theme = ThemeFactory(slug="agile")
    items = RecommendationFactory.create_batch(3, themes=[theme])
    items[0].examples.add(ExampleFactory(slug="case-a"))
    items[0].related.add(items[1])
    return items


def test_the_export_has_a_stable_header_row_that_the_import_reads(three_recommendations):
    dataset = export_all()

    assert dataset.headers == EXPORT_COLUMNS
    assert dataset.dict[0]["themes"] == "agile"
    assert dataset.dict[0]["examples"] == "case-a"


def test_export_then_import_changes_nothing(admin_client, three_recommendations):
    before = snapshot()
    history = sum(item.history.count() for item in Recommendation.objects.all())

    dry_run = upload(admin_client, export_all())
    assert dry_run.status_code == 200
    assert "confirm_form" in dry_run.context
    confirm(admin_client, dry_run)

    assert snapshot() == before
    assert sum(item.history.count() for item in Recommendation.objects.all()) == history


def test_an_edited_spreadsheet_updates_the_matching_recommendation(
    admin_client, three_recommendations
):
    dataset = export_all()
    row(dataset, 1, title="A better title", status="accepted")

    dry_run = upload(admin_client, dataset)
    assert "A better title" in dry_run.text  # the preview shows what will change
    assert Recommendation.objects.filter(title="A better title").count() == 0
    confirm(admin_client, dry_run)

    changed = Recommendation.objects.get(reference=dataset.dict[1]["reference"])
    assert (changed.title, changed.status) == ("A better title", "accepted")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"area": "atlantis"}, "Area matching query does not exist"),
        ({"status": "done-ish"}, "is not a valid choice"),
        ({"title": ""}, "This field cannot be blank"),
        ({"themes": "agile|no-such-theme"}, "Unknown theme: no-such-theme"),
    ],
)
def test_a_file_with_one_bad_row_is_refused_whole(
    admin_client, three_recommendations, change, reason
):
    dataset = export_all()
    row(dataset, 0, title="Would change")
    row(dataset, 2, **change)
    before = snapshot()

    dry_run = upload(admin_client, dataset)

    assert dry_run.status_code == 200
    assert "confirm_form" not in dry_run.context
    assert reason in dry_run.text
    assert failed_rows(dry_run) == [3]
    assert snapshot() == before


def test_a_reference_twice_in_one_file_is_refused(admin_client, three_recommendations):
    dataset = export_all()
    row(dataset, 2, reference=dataset.dict[0]["reference"])

    dry_run = upload(admin_client, dataset)

    assert "appears more than once in the file" in dry_run.text
    assert "confirm_form" not in dry_run.context


def test_new_rows_from_an_editor_arrive_as_drafts_with_new_references(client):
    RecommendationFactory()
    dataset = tablib.Dataset(headers=["reference", "title", "area", "report", "summary"])
    report = Recommendation.objects.get().report.slug
    dataset.append(["", "Imported idea", "technology", report, "Try it."])
    client.force_login(in_group("Editors"))

    confirm(client, upload(client, dataset))

    imported = Recommendation.objects.get(title="Imported idea")
    assert imported.publication_state == PublicationState.DRAFT
    assert imported.reference == "TECH-1"
    assert imported.slug == "imported-idea"


def test_new_rows_from_a_publisher_are_published(client):
    report = RecommendationFactory().report.slug
    dataset = tablib.Dataset(headers=["reference", "title", "area", "report", "summary"])
    dataset.append(["", "Published on import", "culture", report, "Yes."])
    client.force_login(in_group("Publishers"))

    confirm(client, upload(client, dataset))

    imported = Recommendation.objects.get(title="Published on import")
    assert imported.is_published
    assert imported.public_changes.get().kind == "published"  # on the changes page and feeds


def test_an_editors_import_over_a_published_item_waits_for_a_publisher(client):
    published = RecommendationFactory(title="Public wording")
    dataset = export_all()
    row(dataset, 0, title="Imported wording")
    client.force_login(in_group("Editors"))

    confirm(client, upload(client, dataset))

    published.refresh_from_db()
    assert published.title == "Public wording"
    assert published.pending_state == PendingState.DRAFT
    assert published.pending_changes["fields"]["title"] == "Imported wording"


def test_viewers_cannot_import(client):
    client.force_login(in_group("Viewers"))

    assert client.get(IMPORT_URL).status_code == 403
