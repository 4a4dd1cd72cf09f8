"""The public pages other than the filterable lists and search: what each shows and hides."""

import re

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import get_resolver

from areas.models import Area
from recommendations.models import Report
from tests.factories import (
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


def title_of(response):
    return re.search(r"<title>(.*?)</title>", response.text, re.S)[1].strip()


# About


def test_about_restates_the_report_its_context_and_its_sources(client):
    page = client.get("/about/").text

    for fact in [
        "What are the next generation of models to transform organisations",
        "October 2016 to October 2017",
        "Meetings with council members and officers, and a review of the literature",
        "A sub-report for each of the six areas",
        "an evaluation, and proposed future work",
        "reduced funding;",
        "a growing population, and so rising demand;",
        "devolution: local leadership and governance;",
        "digital technology: rising digital skills and capability.",
        "£215 million",
        "3 March 2017",
        "Governance, Organisation, System Methodologies, Leadership, Culture and Technology",
    ]:
        assert fact in page, fact
    for source in [
        "https://data.cambridgeshireinsight.org.uk/dataset/cambridgeshire-policy-challenges-"
        "cambridge-university-science-and-policy-exchange-cuspe-5",
        "http://cambridgeshireinsight.org.uk/blog/28022017-1446/update-cambridgeshire-county-"
        "council-policy-challenges",
        "http://wellbeingandcontrol.com/?page_id=1111",
        "https://www.cambridgeshire.gov.uk/council/briefings/member-newsletter-october-2017/",
        "https://en.wikipedia.org/wiki/Cambridgeshire_and_Peterborough_Combined_Authority",
        "https://www.cambridgeshire.gov.uk/council/research-and-statistics/cuspe/"
        "past-research-projects",
    ]:
        assert f'href="{source}"' in page, source


def test_about_lists_every_report_and_marks_the_demonstration_one(client):
    call_command("load_content", "--demo")
    demonstration = Report.objects.get(is_demonstration=True)
    real = Report.objects.get(is_demonstration=False)

    response = client.get("/about/")

    section = response.text.split('id="reports"')[1]
    assert real.title in section and demonstration.title in section
    demo_part = section.split(f'id="report-{demonstration.slug}"')[1]
    assert "Demonstration content: made up so that people can try this site" in demo_part
    assert "It is not council policy" in demo_part
    published = demonstration.recommendations.published().count()
    assert f"{published} published recommendations</a>" in demo_part
    assert f'href="/recommendations/?report={demonstration.slug}"' in demo_part


# The themes index and its matrix


def test_the_themes_matrix_counts_published_recommendations_per_area_and_theme(client):
    agile = ThemeFactory(name="Agile", slug="agile")
    ThemeFactory(name="Flexible", slug="flexible")
    culture = Area.objects.get(slug="culture")
    RecommendationFactory.create_batch(2, themes=[agile])
    RecommendationFactory(area=culture, themes=[agile])
    RecommendationFactory(area=culture)
    RecommendationFactory(area=culture, themes=[agile], draft=True)

    response = client.get("/themes/")

    rows = {theme.slug: dict(cells) for theme, cells in response.context["matrix"]}
    governance = Area.objects.get(slug="governance")
    assert rows["agile"][governance] == 2
    assert rows["agile"][culture] == 1
    assert rows["flexible"][culture] == 0
    page = response.text
    assert '<th scope="col" class="govuk-table__header">Theme</th>' in page
    assert re.search(r'<th scope="row" class="govuk-table__header"><a [^>]*>Agile</a></th>', page)
    assert (
        'href="/recommendations/?area=governance&amp;theme=agile">2<span '
        'class="govuk-visually-hidden"> recommendations in Governance with the theme Agile'
    ) in page
    assert 'href="/recommendations/?area=culture">2<span' in page  # drafts are not counted
    assert 'href="/recommendations/">4<span' in page


# A recommendation


@pytest.fixture
def full_recommendation():
    recommendation = RecommendationFactory(
        title="Share data openly",
        summary="Publish the data the council holds.",
        rationale="Because **openness** builds trust.",
        priority="high",
        horizon="short",
        impact="medium",
        effort="low",
        evidence="strong",
        status="in_progress",
        source_section="4.2, p. 17",
        report=ReportFactory(title="The big report", short_title="Big report", slug="big"),
        themes=[ThemeFactory(name="Open", slug="open")],
    )
    recommendation.examples.add(
        ExampleFactory(title="Leeds data mill", organisation="Leeds City Council"),
        ExampleFactory(title="Unfinished case", publication_state="draft"),
    )
    recommendation.sources.add(
        ReferenceFactory(title="Open by default", url="https://example.org/open", year=2015)
    )
    recommendation.related.add(
        RecommendationFactory(title="Train data stewards", area=Area.objects.get(slug="culture")),
        RecommendationFactory(title="Secret sibling", draft=True),
    )
    return recommendation


def test_a_recommendation_page_shows_everything_about_it(client, full_recommendation):
    response = client.get("/recommendations/GOV-1/")

    page = response.text
    assert response.status_code == 200
    for text in [
        "Share data openly",
        "Publish the data the council holds.",
        "<strong>openness</strong>",
        "Leeds data mill",
        "Leeds City Council",
        'href="https://example.org/open"',
        "A. Author (2015). Open by default.",
        "Train data stewards",
        "(Culture)",
        "In progress",
        ">High<",
        ">Short term<",
        ">Medium<",
        ">Low<",
        ">Strong<",
        'href="/themes/open/">Open</a>',
        "The big report</a>, 4.2, p. 17",
        'href="/about/#report-big"',
    ]:
        assert text in page, text
    assert "Unfinished case" not in page
    assert "Secret sibling" not in page
    assert title_of(response).startswith("GOV-1: Share data openly – ")


def test_the_cite_box_gives_the_reference_and_its_permanent_address(client, full_recommendation):
    page = client.get("/recommendations/GOV-1/").text

    cite = page.split('id="cite-heading"')[1].split("</section>")[0]
    assert "Big report, recommendation GOV-1 (4.2, p. 17): “Share data openly”." in cite
    assert ">http://testserver/recommendations/GOV-1/</a>" in cite


def test_a_demonstration_recommendation_says_so(client):
    RecommendationFactory(report=ReportFactory(is_demonstration=True))

    page = client.get("/recommendations/GOV-1/").text

    assert "Demonstration content: made up to show how the portal works." in page
    assert "It is not council policy" in page


def test_a_slug_in_the_address_redirects_for_good_to_the_reference(client):
    RecommendationFactory(slug="share-data-openly")
    RecommendationFactory(slug="kept-secret", draft=True)

    response = client.get("/recommendations/share-data-openly/")

    assert response.status_code == 301
    assert response["Location"] == "/recommendations/GOV-1/"
    assert client.get("/recommendations/kept-secret/").status_code == 404
    assert client.get("/recommendations/no-such-thing/").status_code == 404


@pytest.mark.parametrize("path", ["/recommendations/GOV%00/", "/recommendations/<b>/"])
def test_a_malformed_reference_is_a_404(client, path):
    RecommendationFactory()

    assert client.get(path).status_code == 404


# Examples


def test_the_examples_library_shows_what_each_example_illustrates(client):
    example = ExampleFactory(title="Leeds data mill", organisation="Leeds City Council")
    RecommendationFactory(title="Share data openly").examples.add(example)
    RecommendationFactory(title="Secret plan", draft=True).examples.add(example)
    ExampleFactory(title="Hidden case", publication_state="draft")

    page = client.get("/examples/").text

    assert "Leeds data mill" in page and "Leeds City Council" in page
    assert "Illustrates:" in page and "Share data openly" in page
    assert "Secret plan" not in page and "Hidden case" not in page


def test_an_example_page_lists_the_published_recommendations_it_illustrates(client):
    example = ExampleFactory(title="Leeds data mill", slug="leeds", year=2014)
    RecommendationFactory(title="Share data openly").examples.add(example)
    RecommendationFactory(title="Secret plan", draft=True).examples.add(example)

    response = client.get("/examples/leeds/")

    assert "Share data openly" in response.text
    assert "Secret plan" not in response.text
    assert "2014" in response.text
    assert title_of(response).startswith("Leeds data mill (example) – ")


def test_an_example_of_demonstration_recommendations_says_so(client):
    example = ExampleFactory(slug="made-up")
    RecommendationFactory(report=ReportFactory(is_demonstration=True)).examples.add(example)

    assert "Demonstration content" in client.get("/examples/made-up/").text


# Sitemap, robots.txt and error pages


def test_the_sitemap_lists_every_public_page_and_no_draft(client):
    RecommendationFactory()
    RecommendationFactory(draft=True)
    ExampleFactory(slug="shown")
    ExampleFactory(slug="hidden", publication_state="draft")
    ThemeFactory(slug="agile")

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    locations = re.findall(r"<loc>http://testserver(.*?)</loc>", response.text)
    assert set(locations) >= {
        "/",
        "/about/",
        "/recommendations/",
        "/themes/",
        "/examples/",
        "/areas/governance/",
        "/themes/agile/",
        "/recommendations/GOV-1/",
        "/examples/shown/",
    }
    assert "/recommendations/GOV-2/" not in locations
    assert "/examples/hidden/" not in locations
    assert "<lastmod>" in response.text


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_endless_pages(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.text
    assert "Disallow: /search/" in response.text
    assert "Disallow: /recommendations/?" in response.text


def test_a_missing_page_gets_the_sites_own_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'class="govuk-header' in response.text or "govuk-generic-header" in response.text
    assert 'href="/search/"' in response.text


def test_the_500_page_needs_neither_the_request_nor_the_database(django_assert_num_queries):
    handler = get_resolver().resolve_error_handler(500)

    with django_assert_num_queries(0):
        response = handler(RequestFactory().get("/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "Cambridgeshire County Council" in page
    assert "govuk-frontend.min.css" in page
    # Rendered with nothing at all, it still makes a whole page.
    assert "Sorry, there is a problem" in render_to_string("500.html")


# What every page shares


PAGES = [
    "/",
    "/about/",
    "/themes/",
    "/themes/agile/",
    "/areas/governance/",
    "/areas/culture/",
    "/recommendations/",
    "/recommendations/?theme=agile",
    "/recommendations/GOV-1/",
    "/examples/",
    "/examples/shown/",
    "/search/",
    "/search/?q=data",
    "/no-such-page/",
]


@pytest.fixture
def one_of_each():
    theme = ThemeFactory(name="Agile", slug="agile")
    RecommendationFactory(title="Share data", themes=[theme]).examples.add(
        ExampleFactory(slug="shown", title="Shown case")
    )


def test_every_page_has_its_own_title_naming_the_service_and_organisation(client, one_of_each):
    titles = [title_of(client.get(path)) for path in PAGES]

    assert len(set(titles)) == len(titles), titles
    assert all(
        title.endswith("– Transformation recommendations – Cambridgeshire County Council")
        for title in titles
    )


def test_no_page_has_inline_scripts_or_styles(client, one_of_each):
    for path in [*PAGES, "/recommendations/?area=nowhere", "/recommendations/?page=9"]:
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"\sstyle=", page), path
        assert not re.search(r"\son[a-z]+=", page), path
        assert "<style" not in page, path


def test_the_navigation_and_footer_link_to_about(client):
    page = client.get("/about/").text

    nav = page.split('class="govuk-service-navigation__list"')[1].split("</ul>")[0]
    assert '<a class="govuk-service-navigation__link" href="/about/" aria-current="page">' in nav
    for href in ["/", "/recommendations/", "/themes/", "/examples/", "/search/"]:
        assert f'href="{href}"' in nav
    footer = page.split("<footer")[1]
    assert 'href="/about/"' in footer
    assert "&copy; Cambridgeshire County Council" in footer


def test_home_lists_the_areas_as_cards_and_searches_everything(client):
    call_command("load_content")

    page = client.get("/").text

    assert page.count('<li class="portal-card">') == 6
    assert 'action="/search/"' in page
    assert 'href="/themes/"' in page
