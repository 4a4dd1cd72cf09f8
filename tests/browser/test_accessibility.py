"""axe-core with the WCAG 2.2 AA rules finds nothing on any kind of page, on a desktop or a
phone."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import DESKTOP, PHONE

# The live server needs committed data; serialized_rollback puts back what the migrations made
# (the six areas) after each test, for the tests that run later.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Every kind of page, in the states people meet: filtered, wrong, empty, not found.
PAGES = [
    "/",
    "/about/",
    "/themes/",
    "/themes/citizen-focused/",
    "/areas/governance/",
    "/areas/governance/?theme=citizen-focused&status=accepted",
    "/recommendations/",
    "/recommendations/?theme=collaborative&status=implemented&sort=title",
    "/recommendations/?area=nowhere&status=odd&q=" + "x" * 201,
    "/recommendations/?page=9",
    "/recommendations/?status=not_taken_forward&priority=low",
    "/recommendations/GOV-3/",
    "/examples/",
    "/examples/eastmere-open-data/",
    "/search/",
    "/search/?q=budgets",
    "/search/?q=budgets&type=examples",
    "/search/?q=" + "x" * 201,
    "/progress/",
    "/changes/",
    "/changes/?since=banana",
    "/recommendations/briefing/?area=culture",
    "/no-such-page/",
]

axe = Axe()


def violations_on(page, url):
    page.goto(url)
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    return [
        f"{url}: {violation['id']} ({violation['impact']}): {violation['help']} – "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_page_breaks_a_wcag_22_aa_rule(page, site, viewport):
    page.set_viewport_size(viewport)

    found = [problem for path in PAGES for problem in violations_on(page, site + path)]

    assert found == []


def test_no_page_scrolls_sideways_on_a_phone(page, site):
    page.set_viewport_size(PHONE)
    too_wide = []
    for path in PAGES:
        page.goto(site + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{path}: {width}px")

    assert too_wide == []
