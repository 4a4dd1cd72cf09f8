"""The API's documentation works in a real browser under the site's strict CSP."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} CI must run the browser tests.")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.problems = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.problems.append(message.text),
        )
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        yield page
        browser.close()


def test_the_api_docs_render_every_endpoint_with_no_csp_violation(live_server, browser_page):
    browser_page.goto(live_server.url + "/api/v1/docs/")
    browser_page.wait_for_selector(".opblock-summary-path")

    paths = browser_page.locator(".opblock-summary-path").all_inner_texts()

    assert "/api/v1/recommendations/withdrawn/" in paths
    assert paths.count("/api/v1/recommendations/{reference}/updates/") == 2  # GET and POST
    assert len(paths) == 24
    assert browser_page.problems == []


def test_the_docs_try_a_request_and_show_the_answer(live_server, browser_page):
    browser_page.goto(live_server.url + "/api/v1/docs/")
    browser_page.get_by_text("/api/v1/areas/", exact=True).click()
    browser_page.get_by_role("button", name="Try it out").first.click()
    browser_page.get_by_role("button", name="Execute").first.click()
    browser_page.wait_for_selector(".response .highlight-code")

    body = browser_page.locator(".responses-table .highlight-code").first.inner_text()

    assert '"slug": "governance"' in body
    assert browser_page.problems == []


def test_the_browsable_api_runs_with_no_csp_violation(live_server, browser_page):
    browser_page.goto(live_server.url + "/api/v1/recommendations/")

    assert browser_page.locator("h1").first.inner_text() == "Recommendation List"
    assert [problem for problem in browser_page.problems if "Security Policy" in problem] == []
