from html.parser import HTMLParser

import pytest

from areas.models import Area
from cuspe_portal.markdown import render_markdown

HOSTILE = [
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src='https://evil.example'></iframe>",
    '<p onclick="alert(1)">hi</p>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


class ElementCollector(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_renders_inert(text):
    elements = ElementCollector(render_markdown(text)).elements

    tags = {tag for tag, _ in elements}
    attributes = {name for _, attrs in elements for name in attrs}
    hrefs = [attrs.get("href", "").strip().lower() for _, attrs in elements]
    assert not tags & {"script", "iframe", "img", "svg", "div", "style"}
    assert not {name for name in attributes if name.startswith("on")}
    assert "style" not in attributes
    assert not [href for href in hrefs if href.startswith(("javascript:", "data:"))]


def test_ordinary_markdown_keeps_its_formatting_and_safe_links():
    html = render_markdown("Some **bold** text and a [link](https://example.org).\n\n- one\n- two")

    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">link</a>' in html
    assert "<ul>" in html and "<li>one</li>" in html


@pytest.mark.django_db
def test_an_editors_description_is_stored_as_sanitized_html():
    area = Area.objects.get(slug="governance")
    area.description = "Fine text <script>steal()</script> [x](javascript:steal())"
    area.save()

    assert "<script" not in area.description_html
    assert 'href="javascript' not in area.description_html
    assert "Fine text" in area.description_html
