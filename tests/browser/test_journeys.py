"""A visitor's journey in a real browser: from the home page to an area, filtered by a theme,
into a recommendation, on to one of its examples, and back to export the list. Once with a
mouse, once by keyboard alone, once with JavaScript off."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from recommendations.models import Example, Recommendation

# The live server needs committed data; serialized_rollback puts back what the migrations made
# (the six areas) after each test, for the tests that run later.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def journey(site):
    """What the journey expects to meet, from the demonstration content."""
    return {
        "chosen": Recommendation.objects.get(slug="open-data-by-default"),
        "also_listed": Recommendation.objects.get(slug="residents-budget-panel"),
        "example": Example.objects.get(slug="eastmere-open-data"),
    }


def exported_references(download):
    text = open(download.path(), encoding="utf-8-sig").read()
    return [row["reference"] for row in csv.DictReader(io.StringIO(text))]


def walk_with_the_mouse(page, site, journey):
    chosen, example = journey["chosen"], journey["example"]
    page.goto(site + "/")
    page.get_by_role("link", name="Governance", exact=True).click()
    expect(page).to_have_url(site + "/areas/governance/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Governance")

    page.get_by_label("Citizen-focused").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/areas/governance/\?.*theme=citizen-focused"))
    expect(page.locator("#results")).to_have_text(re.compile(r"^2 recommendations in Governance"))
    expect(
        page.get_by_role("link", name=re.compile("Remove filter Theme: Citizen-focused"))
    ).to_be_visible()

    page.get_by_role("link", name=f"{chosen.reference} {chosen.title}").click()
    expect(page).to_have_url(site + chosen.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen.title)

    page.get_by_role("link", name=example.title).click()
    expect(page).to_have_url(site + example.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(example.title)

    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"theme=citizen-focused"))
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV spreadsheet").click()
    return download.value


def test_a_visitor_finds_a_recommendation_its_example_and_exports_the_list(page, site, journey):
    download = walk_with_the_mouse(page, site, journey)

    assert download.suggested_filename.startswith("recommendations-")
    assert download.suggested_filename.endswith(".csv")
    assert exported_references(download) == [
        journey["also_listed"].reference,
        journey["chosen"].reference,
    ]


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_the_same_journey_works_with_javascript_off(page, site, journey):
    download = walk_with_the_mouse(page, site, journey)

    assert page.evaluate("document.body.classList.contains('js-enabled')") is False
    assert exported_references(download) == [
        journey["also_listed"].reference,
        journey["chosen"].reference,
    ]


def tab_to(page, selector, *, limit=250):
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def focus_is_visible(page):
    """The focused element shows GOV.UK's yellow focus colour or a visible outline."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            const yellow = "rgb(255, 221, 0)";
            return style.backgroundColor === yellow || style.outlineColor === yellow
                || style.boxShadow.includes(yellow) || style.outlineStyle !== "none";
        }"""
    )


def test_the_same_journey_works_by_keyboard_alone(page, site, journey):
    chosen, example = journey["chosen"], journey["example"]
    page.goto(site + "/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(site + "/#main-content")

    tab_to(page, 'a[href="/areas/governance/"]')
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(site + "/areas/governance/")

    tab_to(page, 'input[name="theme"][value="citizen-focused"]')
    page.keyboard.press("Space")
    expect(page.get_by_label("Citizen-focused")).to_be_checked()
    tab_to(page, "#filters button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"theme=citizen-focused"))

    tab_to(page, f'a[href="{chosen.get_absolute_url()}"]')
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(site + chosen.get_absolute_url())

    tab_to(page, f'a[href="{example.get_absolute_url()}"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(site + example.get_absolute_url())

    # Back twice to the filtered list: Alt+Left belongs to the browser's own window, which
    # headless Chromium does not have, so this is the one step taken through Playwright.
    page.go_back()
    expect(page).to_have_url(site + chosen.get_absolute_url())
    page.go_back()
    expect(page).to_have_url(re.compile(r"theme=citizen-focused"))

    tab_to(page, 'a[href^="/recommendations/export.csv"]')
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert exported_references(download.value) == [
        journey["also_listed"].reference,
        chosen.reference,
    ]


def test_a_remove_filter_link_and_the_pages_keep_the_view_in_the_address(page, site, journey):
    page.goto(site + "/recommendations/?theme=citizen-focused&status=accepted&sort=title")
    expect(page.get_by_label("Accepted")).to_be_checked()
    expect(page.get_by_label("Sort by")).to_have_value("title")

    page.get_by_role("link", name=re.compile("Remove filter Status: Accepted")).click()

    expect(page).to_have_url(site + "/recommendations/?theme=citizen-focused&sort=title")
    expect(page.get_by_label("Accepted")).not_to_be_checked()
    expect(page.get_by_label("Citizen-focused")).to_be_checked()
    page.get_by_role("link", name="Clear all filters").click()
    expect(page).to_have_url(site + "/recommendations/?sort=title")
