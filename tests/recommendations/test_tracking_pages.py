import io
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from areas.models import Area, Theme
from recommendations import services
from recommendations.models import ProgressUpdate, PublicChange
from tests.factories import RecommendationFactory, UserFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def lead():
    return UserFactory(username="lead", is_staff=True, is_superuser=True)


def record(recommendation, by, **fields):
    update = ProgressUpdate(recommendation=recommendation, **fields)
    return services.progress_update_save(update=update, by=by)


def atom_entries(response):
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ["id", "title", "updated"]:
        assert feed.find(f"{ATOM}{required}") is not None
    return [
        (entry.findtext(f"{ATOM}title"), entry.find(f"{ATOM}link").get("href"))
        for entry in feed.findall(f"{ATOM}entry")
    ]


@pytest.fixture
def secrets(lead):
    """A published recommendation carrying every kind of internal detail."""
    recommendation = RecommendationFactory(
        title="Open the data",
        owner=lead,
        owner_team="Secret Directorate",
        owner_contact="hidden.person@council.example",
        target_date=date(2027, 1, 1),
    )
    record(recommendation, lead, status="accepted", note="Shared with the public.")
    record(
        recommendation,
        lead,
        status="in_progress",
        progress=30,
        note="Internal: budget row 7.",
        is_public=False,
    )
    return recommendation


INTERNAL_WORDS = [
    "Secret Directorate",
    "hidden.person@council.example",
    "budget row 7",
    "2027-01-01",
]


@pytest.mark.parametrize(
    "path",
    [
        "/recommendations/GOV-1/",
        "/recommendations/",
        "/recommendations/export.csv",
        "/recommendations/export.json",
        "/recommendations/briefing/",
        "/recommendations/feed/",
        "/changes/",
        "/changes/feed/",
        "/areas/governance/feed/",
        "/progress/",
        "/api/v1/recommendations/",
        "/api/v1/recommendations/GOV-1/",
        "/api/v1/recommendations/?format=csv",
    ],
)
def test_internal_fields_and_notes_never_reach_the_public(client, secrets, path):
    response = client.get(path)

    assert response.status_code == 200
    body = response.content.decode()
    for word in INTERNAL_WORDS:
        assert word not in body, (path, word)


def test_the_recommendation_page_tells_its_story(client, secrets):
    response = client.get(secrets.get_absolute_url())

    assert "Shared with the public." in response.text
    assert "Last reviewed on" in response.text
    assert response.context["updates"].count() == 1  # the internal note is not among them


def test_a_stale_recommendation_says_when_it_was_last_reviewed(client, lead, settings):
    settings.PORTAL_REVIEW_AFTER_DAYS = 30
    recommendation = RecommendationFactory()
    record(recommendation, lead, status="accepted", date=timezone.localdate() - timedelta(days=40))

    response = client.get(recommendation.get_absolute_url())

    assert "Needs review" in response.text
    assert "Last reviewed on" in response.text


def test_the_progress_page_counts_by_area_and_status_with_text_alternatives(client, lead):
    culture = Area.objects.get(slug="culture")
    done = RecommendationFactory(area=culture)
    record(done, lead, status="implemented")
    RecommendationFactory(area=culture, status="accepted")
    RecommendationFactory(area=culture, draft=True, status="implemented")

    response = client.get("/progress/")

    assert response.status_code == 200
    culture_row = next(row for row in response.context["areas"] if row["name"] == "Culture")
    counts = {segment["value"]: segment["count"] for segment in culture_row["segments"]}
    assert counts["implemented"] == 1 and counts["accepted"] == 1 and culture_row["total"] == 2
    assert response.context["implemented"] == 1
    assert '<svg class="portal-bar"' in response.text
    assert "Culture: 1 accepted; 1 implemented" in response.text  # the bar's text alternative
    assert "<caption" in response.text  # the table alternative


def test_the_progress_page_costs_a_fixed_number_of_queries(
    client, lead, django_assert_max_num_queries
):
    theme = Theme.objects.create(name="Agile", slug="agile")
    for area in Area.objects.all():
        RecommendationFactory.create_batch(5, area=area, themes=[theme])

    with django_assert_max_num_queries(10):
        assert client.get("/progress/").status_code == 200


def test_the_changes_page_lists_what_changed_since_a_date_by_day(client, lead):
    old = RecommendationFactory(title="Old news")
    PublicChange.objects.create(
        kind="published",
        at=timezone.now() - timedelta(days=60),
        recommendation=old,
        title="GOV-1 Old news",
    )
    fresh = RecommendationFactory(title="Fresh idea", draft=True)
    services.item_publish(item=fresh, by=lead)
    record(fresh, lead, status="accepted", note="Agreed.")
    record(fresh, lead, status="accepted", note="Internal.", is_public=False)
    hidden = RecommendationFactory(title="Still a draft", draft=True)
    record(hidden, lead, status="accepted")

    response = client.get("/changes/")

    assert response.status_code == 200
    kinds = [change.kind for _, changes in response.context["days"] for change in changes]
    assert sorted(kinds) == ["progress", "published"]
    assert "Fresh idea" in response.text
    assert "Old news" not in response.text and "Still a draft" not in response.text
    since = (timezone.localdate() - timedelta(days=90)).isoformat()
    assert "Old news" in client.get("/changes/", {"since": since}).text


def test_a_scheduled_publication_is_not_a_change_until_its_time(client, lead):
    later = RecommendationFactory(draft=True, title="Tomorrow's news")
    services.item_publish(item=later, by=lead, at=timezone.now() + timedelta(days=1))

    assert "Tomorrow" not in client.get("/changes/").text
    assert not atom_entries(client.get("/changes/feed/"))


@pytest.mark.parametrize("since", ["banana", "2026-13-45", "3000-01-01"])
def test_a_bad_date_on_the_changes_page_is_a_clear_400(client, since):
    response = client.get("/changes/", {"since": since})

    assert response.status_code == 400
    assert "There is a problem" in response.text


def test_feeds_are_atom_and_list_the_right_items(client, lead):
    culture = Area.objects.get(slug="culture")
    agile = Theme.objects.create(name="Agile", slug="agile")
    in_culture = RecommendationFactory(
        area=culture, draft=True, title="Culture one", themes=[agile]
    )
    elsewhere = RecommendationFactory(draft=True, title="Governance one")
    for item in (in_culture, elsewhere):
        services.item_publish(item=item, by=lead)

    everything = atom_entries(client.get("/changes/feed/"))
    culture_feed = atom_entries(client.get("/areas/culture/feed/"))
    agile_feed = atom_entries(client.get("/themes/agile/feed/"))
    filtered = atom_entries(client.get("/recommendations/feed/", {"area": "governance"}))

    assert len(everything) == 2
    assert [title for title, _ in culture_feed] == ["Published: CULT-1 Culture one"]
    assert [title for title, _ in agile_feed] == ["Published: CULT-1 Culture one"]
    assert [title for title, _ in filtered] == ["GOV-1 Governance one"]
    assert filtered[0][1].endswith("/recommendations/GOV-1/")


def test_the_list_page_offers_a_feed_and_a_briefing_pack_of_the_same_view(client):
    RecommendationFactory()

    response = client.get("/recommendations/", {"area": "governance"})

    assert "/recommendations/feed/?area=governance" in response.text
    assert "/recommendations/briefing/?area=governance" in response.text


def test_a_feed_of_a_bad_filter_is_a_400(client):
    assert client.get("/recommendations/feed/", {"status": "nonsense"}).status_code == 400


def test_the_briefing_pack_holds_exactly_the_filtered_items(client, lead):
    culture = Area.objects.get(slug="culture")
    wanted = RecommendationFactory.create_batch(3, area=culture)
    RecommendationFactory(title="Not in culture")
    RecommendationFactory(area=culture, draft=True, title="Draft in culture")
    record(wanted[0], lead, status="in_progress", progress=50, note="Halfway there.")

    response = client.get(reverse("recommendations:briefing"), {"area": "culture"})

    assert response.status_code == 200
    assert [item.pk for item in response.context["recommendations"]] == [r.pk for r in wanted]
    assert "Area: Culture" in response.text
    assert "Halfway there." in response.text
    assert "Not in culture" not in response.text and "Draft in culture" not in response.text


def test_the_briefing_pack_pdf_has_the_items_titles(client):
    culture = Area.objects.get(slug="culture")
    RecommendationFactory(area=culture, title="Listen to residents first")
    RecommendationFactory(area=culture, title="Share budgets across teams")
    RecommendationFactory(title="Not in this pack")

    response = client.get(reverse("recommendations:briefing-pdf"), {"area": "culture"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Listen to residents first" in text
    assert "Share budgets across teams" in text
    assert "Not in this pack" not in text


def test_a_briefing_pack_with_bad_filters_is_refused(client):
    response = client.get(reverse("recommendations:briefing"), {"area": "atlantis"})

    assert response.status_code == 400
    assert "could not be used" in response.text


def test_deleting_a_published_recommendation_shows_on_the_changes_page(client):
    gone = RecommendationFactory(title="Short-lived")

    gone.delete()

    response = client.get("/changes/")
    assert "GOV-1 Short-lived" in response.text
    assert "Removed from the portal." in response.text
