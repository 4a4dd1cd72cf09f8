"""Issue 7: hostile inputs through the admin, the public pages and the API.

Every entry of the corpus (tests/security/corpus.py) is stored or refused safely, rendered
inert, and answered without a server error. "Inert" is checked on the parsed page: no event
handler attribute, no javascript:/vbscript:/data: address, no inline script, no frame or
object, and a saved title shows up as text. Atom feeds are parsed as XML, and what they
declare to be HTML is checked the same way. A CSV cell must not open as a formula.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.db import models
from django.forms.models import model_to_dict
from django.test import Client
from rest_framework.test import APIClient, ForceAuthClientHandler

from areas.models import Area, Theme
from recommendations import services
from recommendations.models import (
    Example,
    IssuedReference,
    ProgressUpdate,
    PublicChange,
    Recommendation,
    Reference,
    Report,
)
from tests.factories import (
    AreaFactory,
    ExampleFactory,
    RecommendationFactory,
    ReferenceFactory,
    ReportFactory,
    ThemeFactory,
    TokenFactory,
    UserFactory,
)
from tests.security.corpus import (
    CORPUS,
    FORMULA,
    FORMULAS,
    KINDS,
    OVERSIZED,
    PATH,
    PATH_PIECE,
    PATH_TRICKS,
    QUERY,
    SCRIPT,
    SCRIPTS,
    SQL,
    UNICODE,
    UNICODE_VALUES,
    VALUE,
)

pytestmark = pytest.mark.django_db

SLUG = re.compile(r"[-a-zA-Z0-9_]+")
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# Reading a response: is what it shows inert?

LIVE_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}
EMBEDDING_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def is_live_address(value):
    """Whether a browser would run this address: spaces and control characters anywhere are
    ignored in a scheme, and case does not matter."""
    compact = "".join(character for character in value if character > " ").lower()
    return compact.startswith(LIVE_SCHEMES)


class Markup(HTMLParser):
    """What a page would make a browser do (`problems`), and the text and attribute values it
    shows, as a browser decodes them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.problems, self.texts, self.values = [], [], []
        self._raw_text_element = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            self.values.append(value)
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has an event handler: {name}={value!r}")
            if name in URL_ATTRIBUTES and is_live_address(value):
                self.problems.append(f"<{tag}> has a live address: {name}={value!r}")
            if name == "style" and "javascript:" in value.lower():
                self.problems.append(f"<{tag}> has a style with javascript: {value!r}")
        if tag in EMBEDDING_ELEMENTS:
            self.problems.append(f"<{tag}> embeds another document")
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh> redirects the page")
        if tag in ("script", "style"):
            self._raw_text_element = (tag, (dict(attrs).get("type") or "").lower())

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._raw_text_element = None

    def handle_endtag(self, tag):
        if self._raw_text_element and self._raw_text_element[0] == tag:
            self._raw_text_element = None

    def handle_data(self, data):
        if self._raw_text_element is None:
            self.texts.append(data)
            return
        tag, kind = self._raw_text_element
        if tag == "script" and data.strip() and kind not in DATA_SCRIPT_TYPES:
            self.problems.append(f"an inline script runs: {data[:80]!r}")
        if tag == "style" and ("javascript:" in data.lower() or "alert(" in data):
            self.problems.append(f"a style sheet calls script: {data[:80]!r}")

    def shows(self, text):
        """Whether `text` is shown as text or held as an attribute value (spaces collapsed)."""
        wanted = " ".join(text.split())
        return wanted in " ".join("".join(self.texts).split()) or any(
            wanted in " ".join(value.split()) for value in self.values
        )


def html_problems(html):
    return Markup(html).problems


def feed_problems(content):
    """Problems of an Atom feed: ill-formed XML raises; HTML it carries must be inert."""
    problems = []
    for element in ElementTree.fromstring(content).iter():
        if element.get("type") == "html":
            problems += html_problems(element.text or "")
        if element.get("href") and is_live_address(element.get("href")):
            problems.append(f"a feed link has a live address: {element.get('href')!r}")
    return problems


def answer_problems(response):
    """What is wrong with a response whatever it is: unsafe markup, or an echo of the input
    that a browser would sniff into HTML."""
    content_type = response.get("Content-Type", "")
    body = response.content.decode("utf-8", "replace")
    if response.get("X-Content-Type-Options") != "nosniff":
        return ["no X-Content-Type-Options: nosniff header"]
    if content_type.startswith("text/html"):
        return html_problems(body)
    if content_type.startswith(("application/atom+xml", "application/xml", "text/xml")):
        return feed_problems(response.content)
    if content_type.startswith("application/json"):
        json.loads(body)
        return []
    if content_type.startswith(("text/csv", "text/plain", "application/pdf")):
        return []
    return [f"an unexpected content type: {content_type!r}"]


def check_answer(response, allowed=(200, 400, 404), echo=None):
    """Assert the response is one of `allowed`, inert, does not redirect off the site, and
    (for markup) does not repeat `echo` unescaped when it holds markup characters or quotes."""
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    assert answer_problems(response) == []
    if echo and set(echo) & set("<>\"'") and "html" in response.get("Content-Type", ""):
        assert echo not in response.content.decode("utf-8", "replace")
    location = response.get("Location", "")
    assert not location.startswith(("//", "/\\", "\\")), location
    assert urlsplit(location).netloc in ("", "testserver"), location


def csv_cells(response):
    text = b"".join(getattr(response, "streaming_content", [response.content])).decode("utf-8")
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def encoded(params):
    """A query string for (name, value) pairs: any text, a lone surrogate too, as UTF-8."""
    return "&".join(
        f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in params
    )


def is_encodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# The checks must be able to fail.

LIVE_MARKUP = {
    "event-handler": '<p><img src="x" onerror="alert(1)"></p>',
    "javascript-href": '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
    "inline-script": "<script>alert(1)</script>",
    "svg-link": '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
    "frame": '<iframe src="https://evil.example"></iframe>',
    "style-sheet": "<style>@import 'javascript:alert(1)';</style>",
    "refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
}


@pytest.mark.parametrize("markup", LIVE_MARKUP.values(), ids=LIVE_MARKUP)
def test_the_inertness_check_catches_live_markup(markup):
    assert html_problems(f"<!DOCTYPE html><html><body>{markup}</body></html>")


def test_the_inertness_check_passes_escaped_markup():
    page = Markup("<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href='/x'>javascript:</a></p>")

    assert page.problems == []
    assert page.shows("<script>alert(1)</script>")


def test_the_feed_check_reads_html_summaries_as_html():
    feed = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><summary type="html">'
        "&lt;img src=x onerror=alert(1)&gt;</summary></entry></feed>"
    )

    assert feed_problems(feed.encode())


# The corpus


def test_the_corpus_has_at_least_fifty_distinct_entries():
    assert len(CORPUS) >= 50
    assert len({entry.text for entry in CORPUS}) == len(CORPUS)
    assert len({entry.name for entry in CORPUS}) == len(CORPUS)


def test_every_entry_goes_through_the_pages_and_the_api():
    assert FILTER_ENTRIES == CORPUS


def test_the_corpus_covers_every_kind_and_never_pads_with_whitespace():
    assert {entry.kind for entry in CORPUS} == set(KINDS)
    for entry in CORPUS:
        assert entry.text == entry.text.strip(), entry.name


# Fixtures


@pytest.fixture(autouse=True)
def quick_and_unthrottled(settings):
    """Cheap passwords, and no API throttle: these tests send hundreds of requests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None},
    }


@pytest.fixture(scope="module")
def request_handler():
    """One request handler for the module's clients. A handler builds the middleware on its
    first request, when WhiteNoise indexes every static file (about 80 ms): once here, not
    once per test and client."""
    return ForceAuthClientHandler(enforce_csrf_checks=False)


@pytest.fixture
def client(request_handler):
    client = Client()
    client.handler = request_handler
    return client


@pytest.fixture
def content(db):
    """A published recommendation (GOV-1) with a theme, an example and a reference."""
    report = ReportFactory(slug="cuspe", short_title="CUSPE", title="The CUSPE report")
    theme = ThemeFactory(slug="agile", name="Agile")
    host = RecommendationFactory(
        report=report, themes=[theme], title="Share data openly", slug="share-data-openly"
    )
    host.examples.add(ExampleFactory(slug="a-case", title="A case"))
    host.sources.add(ReferenceFactory(title="An evidence paper"))
    return SimpleNamespace(report=report, theme=theme, host=host)


@pytest.fixture
def publisher_api(db, request_handler):
    """An API client with the token of a member of the Publishers group."""
    user = UserFactory(username="publisher", is_staff=True)
    user.groups.add(Group.objects.get(name="Publishers"))
    client = APIClient()
    client.handler = request_handler
    client.credentials(HTTP_AUTHORIZATION=f"Token {TokenFactory(user=user).key}")
    return client


def row_counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Recommendation,
            IssuedReference,
            Example,
            Reference,
            Report,
            Area,
            Theme,
            ProgressUpdate,
            PublicChange,
        )
    }


# Through the admin: every free-text field of every model, then every page that shows it


def free_text_fields(model):
    """The fields an editor types free text into (not slugs, addresses, codes or choices)."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable
        and isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, models.SlugField | models.URLField)
        and not field.choices
        and not any(getattr(validator, "regex", None) for validator in field.validators)
    ]


def with_text(model, text):
    """`text` in every free-text field it fits, with a word to search for after the summary."""
    values = {}
    for field in free_text_fields(model):
        value = f"{text} zebra" if field.name == "summary" else text
        if field.max_length is None or len(value) <= field.max_length:
            values[field.name] = value
    return values


NO_PROGRESS_UPDATES = {
    "updates-TOTAL_FORMS": "0",
    "updates-INITIAL_FORMS": "0",
    "updates-MIN_NUM_FORMS": "0",
    "updates-MAX_NUM_FORMS": "1000",
}


def form_data(instance, **changes):
    """What the admin change form posts for `instance`, with some fields changed."""
    data = {}
    for name, value in model_to_dict(instance).items():
        if isinstance(value, list):
            data[name] = [item.pk for item in value]
        elif value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value
    if isinstance(instance, Recommendation):
        data.update(NO_PROGRESS_UPDATES)
    data.update(changes)
    return data


def admin_url(instance, *views):
    opts = instance._meta
    path = "".join(f"{view}/" for view in views or ["change"])
    return f"/admin/{opts.app_label}/{opts.model_name}/{instance.pk}/{path}"


def save_in_admin(admin_client, item, text, *, progress_note=None):
    """Post `text` into every free-text field through the admin's change form, and publish
    the item if it has a workflow. True when stored exactly; False when refused (the form
    says why and nothing changed)."""
    before = row_counts()
    changes = with_text(type(item), text)
    if hasattr(item, "publication_state"):
        changes["_publish"] = "1"
    if progress_note is not None:
        changes.update(
            {
                "updates-TOTAL_FORMS": "1",
                "updates-0-date": date.today().isoformat(),
                "updates-0-status": "accepted",
                "updates-0-is_public": "on",
                "updates-0-note": progress_note,
            }
        )

    response = admin_client.post(admin_url(item), form_data(item, **changes))

    if response.status_code != 302:
        assert response.status_code == 200
        assert "errorlist" in response.text
        assert row_counts() == before
        return False
    item.refresh_from_db()
    for name, value in with_text(type(item), text).items():
        assert getattr(item, name) == value, name
    if hasattr(item, "publication_state"):
        assert item.is_published
    return True


def admin_pages(item, *, thorough):
    """The admin pages that show the item's fields: its form and the comparison of its first
    and latest versions; and, `thorough`, the form to revert to its latest version, its
    history, the list and the preview."""
    first, *_, latest = item.history.order_by("history_date").values_list("pk", flat=True)
    pages = [admin_url(item), admin_url(item, "history", "compare") + f"?from={first}&to={latest}"]
    if thorough:
        pages += [
            admin_url(item, "history", latest),
            admin_url(item, "history"),
            f"/admin/{item._meta.app_label}/{item._meta.model_name}/?q=zebra",
        ]
        if hasattr(item, "publication_state"):
            pages.append(admin_url(item, "preview"))
    return pages


@dataclass
class Scenario:
    """How to put one kind of item where the public sees it, and the pages that show it."""

    make: object  # (content) -> a benign item, linked so that its pages show it once public
    pages: object  # (item) -> public addresses that show it
    api: object  # (item) -> its API address
    shown_on: object  # (item) -> a page that shows its title or name as text
    title_field: str = "title"


def carrier(**kwargs):
    """A published recommendation that carries an area, a theme or a report onto pages."""
    return RecommendationFactory(slug="carrier", title="Carrier", **kwargs)


def carried_on(item):
    return item.recommendations.get().get_absolute_url()


SCENARIOS = {
    "recommendation": Scenario(
        make=lambda content: RecommendationFactory(draft=True, report=content.report, slug="ok"),
        pages=lambda item: [
            item.get_absolute_url(),
            "/recommendations/?q=zebra",
            "/search/?q=zebra",
            "/recommendations/briefing/?q=zebra",
        ],
        api=lambda item: f"/api/v1/recommendations/{item.reference}/",
        shown_on=lambda item: item.get_absolute_url(),
    ),
    "example": Scenario(
        make=lambda content: content.host.examples.create(
            title="Benign", slug="benign", publication_state="draft"
        ),
        pages=lambda item: [
            "/examples/",
            item.get_absolute_url(),
            "/recommendations/GOV-1/",
            "/search/?q=zebra",
        ],
        api=lambda item: f"/api/v1/examples/{item.slug}/",
        shown_on=lambda item: item.get_absolute_url(),
    ),
    "reference": Scenario(
        make=lambda content: content.host.sources.create(title="Benign", authors="Someone"),
        pages=lambda item: ["/recommendations/GOV-1/", "/search/?q=zebra"],
        api=lambda item: f"/api/v1/references/{item.pk}/",
        shown_on=lambda item: "/recommendations/GOV-1/",
    ),
    "report": Scenario(
        make=lambda content: carrier(report=ReportFactory(year=2100)).report,
        pages=lambda item: [
            "/",
            "/about/",
            "/recommendations/",
            carried_on(item),
            f"/recommendations/briefing/?report={item.slug}",
        ],
        api=lambda item: f"/api/v1/reports/{item.slug}/",
        shown_on=lambda item: "/about/",
    ),
    "area": Scenario(
        make=lambda content: carrier(area=AreaFactory(code="ZZZ")).area,
        pages=lambda item: [
            "/",
            item.get_absolute_url(),
            "/themes/",
            "/progress/",
            "/recommendations/",
            carried_on(item),
        ],
        api=lambda item: f"/api/v1/areas/{item.slug}/",
        shown_on=lambda item: item.get_absolute_url(),
        title_field="name",
    ),
    "theme": Scenario(
        make=lambda content: carrier(themes=[ThemeFactory()]).themes.get(),
        pages=lambda item: [
            "/",
            "/themes/",
            item.get_absolute_url(),
            "/progress/",
            "/recommendations/",
            carried_on(item),
        ],
        api=lambda item: f"/api/v1/themes/{item.slug}/",
        shown_on=lambda item: item.get_absolute_url(),
        title_field="name",
    ),
}
MORE_PAGES = [
    "/",
    "/changes/",
    "/areas/governance/",
    "/recommendations/export.csv",
    "/recommendations/export.json",
    "/sitemap.xml",
]

# The worst of the script payloads, one of each mechanism (a raw tag, an event handler, a
# breakout from the admin's textareas, a Markdown link): every model gets these, and
# recommendations, which the most pages show, get every script payload.
WORST_SCRIPTS = [
    entry
    for entry in SCRIPTS
    if entry.name in {"script-tag", "img-onerror", "textarea-breakout", "markdown-javascript-link"}
]
ADMIN_CASES = [
    *(pytest.param("recommendation", entry, id=f"recommendation-{entry}") for entry in SCRIPTS),
    *(
        pytest.param(model, entry, id=f"{model}-{entry}")
        for model in SCENARIOS
        if model != "recommendation"
        for entry in WORST_SCRIPTS
    ),
]


@pytest.mark.parametrize(("model", "entry"), ADMIN_CASES)
def test_script_saved_in_the_admin_is_stored_as_typed_and_shown_inert(
    admin_client, client, content, model, entry
):
    scenario = SCENARIOS[model]
    item = scenario.make(content)
    thorough = entry in WORST_SCRIPTS
    note = entry.text if model == "recommendation" else None

    assert save_in_admin(admin_client, item, entry.text, progress_note=note)

    for page in scenario.pages(item) + (MORE_PAGES if thorough else []):
        response = client.get(page)
        check_answer(response, allowed=(200,))
        assert django_settings.SECRET_KEY not in response.content.decode(), page
    shown_on = Markup(client.get(scenario.shown_on(item)).content.decode())
    assert shown_on.shows(getattr(item, scenario.title_field))
    for page in admin_pages(item, thorough=thorough):
        check_answer(admin_client.get(page), allowed=(200,))
    api_response = client.get(scenario.api(item))
    check_answer(api_response, allowed=(200,))
    assert api_response.json()[scenario.title_field] == getattr(item, scenario.title_field)
    if thorough:  # the browsable API shows the JSON in a page
        check_answer(client.get(scenario.api(item), {"format": "api"}), allowed=(200,))


MODELS = {
    "recommendation": Recommendation,
    "example": Example,
    "reference": Reference,
    "report": Report,
    "area": Area,
    "theme": Theme,
}
NEEDED_TO_ADD = {
    "recommendation": {"status": "proposed", **NO_PROGRESS_UPDATES},
    "report": {"year": "2017"},
    "area": {"code": "XSS", "position": "9"},
    "theme": {"position": "9"},
}


@pytest.mark.parametrize("model", MODELS)
def test_the_admin_add_form_stores_script_as_typed(admin_client, content, model):
    opts = MODELS[model]._meta
    text = SCRIPTS[0].text
    data = {field.name: text for field in free_text_fields(opts.model)}
    data.update(NEEDED_TO_ADD.get(model, {}), slug="added")
    if model == "recommendation":
        data.update(report=content.report.pk, area=content.host.area_id)

    response = admin_client.post(f"/admin/{opts.app_label}/{opts.model_name}/add/", data)

    assert response.status_code == 302, response.content[:1000]
    added = opts.model.objects.latest("pk")
    assert getattr(added, SCENARIOS[model].title_field) == text
    check_answer(admin_client.get(admin_url(added)), allowed=(200,))


URL_SHAPED = [
    pytest.param("javascript:alert(1)", False, id="javascript"),
    pytest.param("JaVaScRiPt:alert(1)", False, id="javascript-mixed-case"),
    pytest.param("data:text/html,<script>alert(1)</script>", False, id="data"),
    pytest.param('https://example.org/"><script>alert(1)</script>', True, id="quote-breakout"),
    pytest.param("https://example.org/?q=' onmouseover='alert(1)", False, id="spaces"),
]


@pytest.mark.parametrize(("address", "accepted"), URL_SHAPED)
def test_a_web_address_is_refused_or_shown_as_a_plain_link(
    admin_client, client, content, address, accepted
):
    example = content.host.examples.get()
    before = row_counts()

    response = admin_client.post(admin_url(example), form_data(example, url=address, _publish="1"))

    if not accepted:
        assert response.status_code == 200 and "errorlist" in response.text
        assert row_counts() == before
        return
    assert response.status_code == 302
    page = client.get(example.get_absolute_url())
    check_answer(page, allowed=(200,))
    assert Markup(page.content.decode()).shows(address)


@pytest.mark.parametrize(
    "entry", [entry for entry in PATH_TRICKS if not SLUG.fullmatch(entry.text)], ids=str
)
def test_a_path_trick_typed_as_a_slug_is_refused_by_the_admin(admin_client, content, entry):
    theme = content.theme
    before = row_counts()

    response = admin_client.post(admin_url(theme), form_data(theme, slug=entry.text))

    assert response.status_code == 200
    assert "errorlist" in response.text
    assert row_counts() == before
    theme.refresh_from_db()
    assert theme.slug == "agile"


CONTROL_CHARACTERS = {"escape-sequence", "backspace-and-bell"}
XML_NONCHARACTERS = {"xml-nonchars"}
UNICODE_FOR_FORMS = [
    entry for entry in UNICODE_VALUES if entry.sent_as == VALUE and is_encodable(entry.text)
]
# What the admin stores (it refuses a NUL): the feeds are given these.
UNICODE_STORED = [entry for entry in UNICODE_FOR_FORMS if "\x00" not in entry.text]


@pytest.mark.parametrize("entry", UNICODE_FOR_FORMS, ids=str)
def test_odd_unicode_saved_in_the_admin_reads_back_exactly(admin_client, client, content, entry):
    item = RecommendationFactory(draft=True, report=content.report, slug="ok")

    stored = save_in_admin(admin_client, item, entry.text)

    if not stored:
        assert "\x00" in entry.text  # Django's forms refuse a NUL, with a message
        return
    detail = client.get(item.get_absolute_url())
    check_answer(detail, allowed=(200,))
    assert Markup(detail.content.decode()).shows(entry.text)
    api_response = client.get(f"/api/v1/recommendations/{item.reference}/")
    assert api_response.json()["title"] == entry.text
    check_answer(client.get("/recommendations/", {"q": "zebra"}), allowed=(200,))
    check_answer(admin_client.get(admin_url(item)), allowed=(200,))


# The Atom feeds. The admin stores exactly what is typed (above), so these make the published
# row directly, through the workflow's own publish step.

FEEDS = ["/recommendations/feed/", "/changes/feed/", "/areas/governance/feed/"]


def published_with(text, content, by):
    item = RecommendationFactory(
        draft=True, report=content.report, slug="ok", **with_text(Recommendation, text)
    )
    services.item_publish(item=item, by=by)
    return item


@pytest.mark.parametrize("entry", [*SCRIPTS, *UNICODE_STORED], ids=str)
def test_published_text_is_inert_and_well_formed_in_the_atom_feeds(
    client, content, superuser, entry
):
    item = published_with(entry.text, content, superuser)

    for feed in FEEDS:
        response = client.get(feed)
        check_answer(response, allowed=(200,))
        assert f"/recommendations/{item.reference}/" in response.content.decode(), feed


# Spreadsheet exports: a typed formula must not run when the CSV is opened.

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_EXPORTS = {"page": "/recommendations/export.csv", "api": "/api/v1/recommendations/?format=csv"}
FORMULA_CASES = [
    pytest.param(entry, export, id=f"{entry.name}-{export}")
    for entry in FORMULAS
    for export in CSV_EXPORTS
]


@pytest.mark.parametrize(("entry", "export"), FORMULA_CASES)
def test_a_published_formula_is_not_a_formula_in_the_csv_exports(
    client, content, superuser, entry, export
):
    published_with(entry.text, content, superuser)

    response = client.get(CSV_EXPORTS[export])

    assert response.status_code == 200
    cells = csv_cells(response)
    assert any("cmd|" in cell or "HYPERLINK" in cell for cell in cells)
    assert [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)] == []


# Through the pages and the API: every filter and search parameter

PARAMETERS = [
    *("area", "theme", "status", "priority", "horizon", "report", "q", "sort", "ordering"),
    *("updated_since", "page", "page_size", "format", "type", "since", "next"),
]
# The list page stands for the area and theme pages (the same view and template), the CSV
# export for the JSON one (the same view).
FILTERED_PAGES = [
    "/recommendations/",
    "/recommendations/export.csv",
    "/recommendations/feed/",
    "/recommendations/briefing/",
    "/search/",
    "/changes/",
    "/admin/login/",
]
FILTERED_API = [
    "/api/v1/recommendations/",
    "/api/v1/recommendations/withdrawn/",
    "/api/v1/areas/",
]
# Where one refused parameter stops the others being used: there `q` goes alone as well.
SEARCHED_ALONE = ["/search/", "/recommendations/export.csv", "/api/v1/recommendations/"]
# The browsable API echoes the address in a page: markup and quotes are tried there too.
BROWSABLE = "/api/v1/recommendations/?format=api"
FILTER_ENTRIES = [entry for entry in CORPUS if entry.sent_as in (VALUE, PATH_PIECE, QUERY)]


def filter_addresses(entry, addresses):
    """Each address with the entry in every parameter at once (or, for a whole query string,
    as it is)."""
    if entry.sent_as == QUERY:
        return [f"{address}?{entry.text}" for address in addresses]
    everywhere = encoded([(name, entry.text) for name in PARAMETERS])
    return [f"{address}?{everywhere}" for address in addresses]


def searched_alone(entry):
    """Where one refused parameter stops the search, the entry in `q` alone."""
    if entry.sent_as == QUERY:
        return []
    alone = encoded([("q", entry.text)])
    addresses = [f"{address}?{alone}" for address in SEARCHED_ALONE]
    if entry.kind in (SCRIPT, SQL):
        addresses.append(f"{BROWSABLE}&{alone}")
    return addresses


@pytest.mark.parametrize("entry", FILTER_ENTRIES, ids=str)
def test_hostile_filters_and_searches_are_answered_safely_by_the_pages_and_the_api(
    client, content, entry
):
    before = row_counts()

    for address in filter_addresses(entry, FILTERED_PAGES) + searched_alone(entry):
        check_answer(client.get(address), echo=entry.text)
    for address in filter_addresses(entry, FILTERED_API):
        response = client.get(address)
        check_answer(response, echo=entry.text)
        if response.status_code == 400 and entry.sent_as != QUERY:
            assert response.json()  # a JSON body naming the parameter

    assert row_counts() == before


ADMIN_SEARCH_CASES = [
    pytest.param(entry, id=entry.name)
    for entry in FILTER_ENTRIES
    if entry.kind not in (SCRIPT, FORMULA) or entry in WORST_SCRIPTS
]
AUTOCOMPLETE = [
    ("app_label", "recommendations"),
    ("model_name", "recommendation"),
    ("field_name", "related"),
]


@pytest.mark.parametrize("entry", ADMIN_SEARCH_CASES)
def test_hostile_searches_in_the_admin_are_answered_safely(admin_client, content, entry):
    changelist = "/admin/recommendations/recommendation/"
    if entry.sent_as == QUERY:
        addresses = [f"{changelist}?{entry.text}"]
    else:
        search = [("q", entry.text), ("o", entry.text), ("p", entry.text)]
        addresses = [
            f"{changelist}?{encoded(search)}",
            f"/admin/autocomplete/?{encoded([*AUTOCOMPLETE, ('term', entry.text)])}",
        ]
    for address in addresses:
        check_answer(admin_client.get(address), allowed=(200, 302, 400), echo=entry.text)


# Path tricks in the slugs and references of addresses

PUBLIC_PATHS = [
    "/recommendations/{}/",
    "/recommendations/{}",
    "/areas/{}/",
    "/areas/{}/feed/",
    "/themes/{}/",
    "/examples/{}/",
    "/preview/{}/",
    "/{}",
    "/static/{}",
]
API_PATHS = [
    "/api/v1/recommendations/{}/",
    "/api/v1/recommendations/{}/updates/",
    "/api/v1/areas/{}/",
    "/api/v1/themes/{}/",
    "/api/v1/reports/{}/",
    "/api/v1/examples/{}/",
    "/api/v1/references/{}/",
    "/api/v1/{}",
]
SAFE_ANSWERS = (200, 301, 302, 400, 404)


@pytest.mark.parametrize("entry", PATH_TRICKS, ids=str)
def test_path_tricks_in_page_addresses_are_answered_safely(client, content, entry):
    for template in PUBLIC_PATHS:
        response = client.get(template.format(entry.text))
        check_answer(response, allowed=SAFE_ANSWERS)
        assert "hacked" not in response.cookies  # no header from an encoded line break


@pytest.mark.parametrize("entry", PATH_TRICKS, ids=str)
def test_path_tricks_in_api_addresses_are_answered_safely(client, publisher_api, content, entry):
    for template in API_PATHS:
        address = template.format(entry.text)
        check_answer(client.get(address), allowed=SAFE_ANSWERS)
        check_answer(publisher_api.get(address), allowed=SAFE_ANSWERS)
        before = row_counts()
        response = publisher_api.patch(address, {"title": "Changed"}, format="json")
        check_answer(response, allowed=(200, 202, 400, 403, 404, 405))
        if response.status_code >= 400:
            assert row_counts() == before


ADMIN_VIEWS = [
    pytest.param(view, id=name)
    for view, name in [
        ("change/", "change"),
        ("delete/", "delete"),
        ("preview/", "preview"),
        ("history/", "history"),
        ("history/1/", "revert-form"),
        ("history/compare/?from=1&to=2", "compare"),
    ]
]


@pytest.mark.parametrize("view", ADMIN_VIEWS)
def test_path_tricks_in_admin_addresses_are_answered_safely(admin_client, content, view):
    for changelist in ("/admin/recommendations/recommendation/", "/admin/areas/theme/"):
        for entry in PATH_TRICKS:
            response = admin_client.get(f"{changelist}{entry.text}/{view}")
            check_answer(response, allowed=SAFE_ANSWERS)


# Writing through the API, as a publisher

WRITE_ENTRIES = [entry for entry in CORPUS if entry.sent_as in (VALUE, PATH_PIECE)]


def write(api, method, address, body):
    """Send `body` as JSON, escaped, so a lone surrogate or a NUL travels as \\uXXXX."""
    return getattr(api, method)(address, json.dumps(body), content_type="application/json")


def written_exactly_or_refused(api, method, address, body, *, read_back=None):
    """Write `body`: a 4xx changes nothing; a 2xx reads back byte-identical, field by field,
    from `read_back` (by default the new item's Location)."""
    before = row_counts()
    response = write(api, method, address, body)
    check_answer(response, allowed=(200, 201, 202, 400))
    if response.status_code == 400:
        assert row_counts() == before
        assert response.json()
        return response
    stored = api.get(read_back or response["Location"]).json()
    for name, value in body.items():
        if name not in ("area", "report", "slug"):
            assert stored[name] == value, name
    return response


# Each entry goes into every text field of a new recommendation. Script also goes into an
# example and a progress note (Markdown shown on public pages); odd Unicode and oversized
# values into a reference too; SQL, odd Unicode and path tricks into the keys of linked
# records, which are looked up in the database.
INTO_EXAMPLES_AND_NOTES = (SCRIPT,)
INTO_REFERENCES = (UNICODE, OVERSIZED)
INTO_KEYS = (SQL, UNICODE, PATH)


@pytest.mark.parametrize("entry", WRITE_ENTRIES, ids=str)
def test_hostile_json_written_through_the_api_is_stored_exactly_or_refused(
    client, publisher_api, content, entry
):
    text = entry.text
    recommendation = {"area": "governance", "report": "cuspe", "slug": "hostile"}
    recommendation.update(title=text, summary=text, rationale=text, source_section=text)

    written_exactly_or_refused(publisher_api, "post", "/api/v1/recommendations/", recommendation)
    if len(text) > 255:  # too long for a title, but the long fields take it
        long_fields = {**recommendation, "title": "Long", "source_section": "", "slug": "long"}
        written_exactly_or_refused(publisher_api, "post", "/api/v1/recommendations/", long_fields)
    if entry.kind in INTO_EXAMPLES_AND_NOTES:
        example = {"slug": "hostile", "title": text, "organisation": text, "place": text}
        example.update(summary=text, description=text)
        written_exactly_or_refused(publisher_api, "post", "/api/v1/examples/", example)
        progress_note_stored_exactly_or_refused(client, publisher_api, text)
    if entry.kind in INTO_REFERENCES:
        reference = {"title": text, "authors": text, "publisher": text}
        written_exactly_or_refused(publisher_api, "post", "/api/v1/references/", reference)
    if entry.kind in INTO_KEYS:
        keys_refused(publisher_api, content, text)


def progress_note_stored_exactly_or_refused(client, publisher_api, text):
    address = "/api/v1/recommendations/GOV-1/updates/"
    before = row_counts()

    response = write(publisher_api, "post", address, {"status": "accepted", "note": text})

    check_answer(response, allowed=(201, 400))
    if response.status_code == 400:
        assert row_counts() == before
        return
    assert response.json()["note"] == text
    assert publisher_api.get(address).json()["results"][0]["note"] == text
    assert html_problems(response.json()["note_html"]) == []
    check_answer(client.get("/recommendations/GOV-1/"), allowed=(200,))


def keys_refused(publisher_api, content, text):
    """Hostile keys (an area's and a report's slug, a slug and a reference of its own, the
    keys of linked themes, examples, references and related recommendations) are refused,
    naming the fields, and change nothing."""
    keys = {"area": text, "report": text, "slug": text, "reference": text}
    links = {"themes": [text], "examples": [text], "related": [text], "references": [text]}
    host = f"/api/v1/recommendations/{content.host.reference}/"
    before = row_counts()

    created = write(publisher_api, "post", "/api/v1/recommendations/", {"title": "Linked", **keys})
    linked = write(publisher_api, "patch", host, links)

    check_answer(created, allowed=(400,))
    check_answer(linked, allowed=(400,))
    if "detail" in created.json():  # a NUL (or "%00"): refused whole by the NUL middleware
        assert "NUL character" in created.json()["detail"] and "NUL" in linked.json()["detail"]
    else:
        assert {"area", "report"} <= set(created.json())
        assert set(linked.json()) == {"themes", "examples", "related", "references"}
    assert row_counts() == before


def test_too_many_parameters_is_a_json_400_from_the_api_and_the_400_page_elsewhere(client):
    parameters = "area=governance&" * 1500

    api = client.get(f"/api/v1/recommendations/?{parameters}")
    page = client.get(f"/recommendations/?{parameters}")

    assert api.status_code == 400
    assert "too many parameters" in api.json()["detail"]
    assert page.status_code == 400
    assert "could not be understood" in page.text


def test_the_text_percent_zero_zero_in_a_json_body_is_not_taken_for_a_nul(publisher_api, content):
    response = publisher_api.patch(
        "/api/v1/recommendations/GOV-1/",
        {"title": "Rate rose by 100%00 overnight"},
        format="json",
    )

    assert response.status_code in (200, 202), response.content
