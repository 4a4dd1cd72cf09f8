"""Editors write Markdown; the public gets safe HTML.

Rendering happens once, when a record is saved: markdown-it-py with raw HTML switched off turns
the text into HTML, then nh3 (the Ammonia sanitizer) keeps only an allow-list of tags,
attributes and URL schemes, so a `<script>`, an event handler or a `javascript:` link typed by
an editor never reaches a page.
"""

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol",
    "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# "commonmark" with html=False escapes any raw HTML; tables are switched on for evidence grids.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text):
    """Return sanitized HTML for an editor's Markdown text ("" for blank text)."""
    if not text or not text.strip():
        return ""
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
