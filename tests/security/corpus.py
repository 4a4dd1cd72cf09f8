"""Hostile inputs: what an attacker, a careless paste or a broken client may send.

Each entry has a kind, a short unique name (the test id) and its text. The tests in
test_hostile_inputs.py send every entry through at least one of the admin, the public pages
and the API, and check that it is stored or refused safely, rendered inert and answered
without a server error.

No entry starts or ends with whitespace: forms and the API trim it by design, and a stored
value must read back exactly as it was sent.
"""

from dataclasses import dataclass

SCRIPT = "script"
FORMULA = "formula"
SQL = "sql"
OVERSIZED = "oversized"
UNICODE = "unicode"
PATH = "path"

KINDS = [SCRIPT, FORMULA, SQL, OVERSIZED, UNICODE, PATH]

# How an entry is sent: as the value of a field or parameter, as a whole query string, or as a
# piece of a URL path (path tricks are sent as values too).
VALUE = "value"
QUERY = "query"
PATH_PIECE = "path"


@dataclass(frozen=True)
class Hostile:
    kind: str
    name: str
    text: str
    sent_as: str = VALUE

    def __str__(self):
        return self.name


def _entries(kind, pairs, *, sent_as=VALUE):
    return [Hostile(kind, name, text, sent_as) for name, text in pairs]


# Script and HTML injection: raw tags, event handlers, dangerous URL schemes, Markdown links
# and images, entity tricks, breaking out of attributes and raw-text elements, and template
# syntax that must never be evaluated.
SCRIPTS = _entries(
    SCRIPT,
    [
        ("script-tag", '<script>alert("xss")</script>'),
        ("script-mixed-case", "<ScRiPt>alert(1)</sCrIpT>"),
        ("img-onerror", "<img src=x onerror=alert(1)>"),
        ("svg-onload", "<svg onload=alert(1)>"),
        ("svg-script", "<svg><script>alert(1)</script></svg>"),
        ("iframe-javascript", '<iframe src="javascript:alert(1)"></iframe>'),
        ("anchor-javascript", '<a href="javascript:alert(1)">click</a>'),
        ("details-ontoggle", "<details open ontoggle=alert(1)>"),
        ("double-quote-breakout", '"><script>alert(1)</script>'),
        ("single-quote-breakout", "' onmouseover='alert(1)' x='"),
        ("textarea-breakout", "</textarea><script>alert(1)</script>"),
        ("title-breakout", "</title><script>alert(1)</script>"),
        ("cdata-breakout", "]]><script>alert(1)</script><![CDATA["),
        ("style-import", "<style>@import 'javascript:alert(1)';</style>"),
        ("split-script-tag", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
        ("mutation-xss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
        ("markdown-javascript-link", "[click me](javascript:alert(1))"),
        (
            "markdown-data-link",
            "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        ),
        ("markdown-vbscript-link", "[click me](vbscript:msgbox(1))"),
        ("markdown-entity-link", "[click me](&#106;avascript&#58;alert(1))"),
        ("markdown-autolink", "<javascript:alert(1)>"),
        ("markdown-reference-link", "[click me][x]\n\n[x]: javascript:alert(1)"),
        ("markdown-image-onerror", '![x](x" onerror="alert(1))'),
        ("markdown-link-title", '[click](https://example.org "a\\" onmouseover=\\"alert(1)")'),
        ("html-entities", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("numeric-entities", "&#60;script&#62;alert(1)&#60;/script&#62;"),
        ("javascript-url-text", "javascript:alert(1)"),
        ("json-escaped-script", "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"),
        ("template-variable", "{{ settings.SECRET_KEY }}"),
        ("template-tag", "{% debug %}{% load static %}"),
        ("template-comment", "{# hidden #}{{ request.user.password }}"),
    ],
)

# Spreadsheet formula injection: a cell a spreadsheet program would run when the CSV export
# is opened (OWASP: a leading =, +, - or @).
FORMULAS = _entries(
    FORMULA,
    [
        ("formula-equals", '=HYPERLINK("https://evil.example","Click")'),
        ("formula-double-equals", '==HYPERLINK("https://evil.example","Click")'),
        ("formula-plus", "+2+3+cmd|' /C calc'!A0"),
        ("formula-minus", "-2+3+cmd|' /C calc'!A0"),
        ("formula-at", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ],
)

# SQL fragments, LIKE wildcards, backslashes and full-text query syntax.
SQL_FRAGMENTS = _entries(
    SQL,
    [
        ("or-true", "' OR 1=1 --"),
        ("or-true-double-quotes", '" OR ""="'),
        ("drop-table", "'; DROP TABLE recommendations_recommendation; --"),
        ("union-select", "1' UNION SELECT username, password FROM auth_user --"),
        ("stacked-sleep", "1; SELECT pg_sleep(10); --"),
        ("error-based", "' AND 1=CAST((SELECT version()) AS int) --"),
        ("comment-close", "admin'/*"),
        ("paren-breakout", ") OR (1=1"),
        ("percent-wildcard", "%"),
        ("underscore-wildcard", "_"),
        ("wildcards-quoted", "%' AND '%'='"),
        ("backslash", "\\"),
        ("escaped-quote", "\\'; --"),
        ("tsquery-syntax", "foo:* & !bar | (baz <-> qux"),
        ("websearch-syntax", '"unclosed -or OR - "'),
    ],
)

# Oversized values, and query strings too long or with too many parameters.
OVERSIZED_VALUES = [
    *_entries(
        OVERSIZED,
        [
            ("100k-characters", "A" * 100_000),
            ("10k-of-tags", "<b>" * 3_334),
            ("10k-two-byte-characters", "é" * 10_000),
            ("2k-words", " ".join(["word"] * 2_000)),
            ("just-over-200", "x" * 201),
            ("just-over-255", "y" * 256),
            ("huge-number", "9" * 400),
        ],
    ),
    *_entries(
        OVERSIZED,
        [
            ("query-many-parameters", "area=governance&" * 1500 + "q=x"),
            ("query-100k-value", "q=" + "z" * 100_000),
        ],
        sent_as=QUERY,
    ),
]

# Odd Unicode: direction overrides, invisible and combining characters, emoji, a lone
# surrogate (a JSON escape, or its bytes in a URL), NUL and other control characters,
# characters XML cannot carry, full-width forms and homoglyphs.
UNICODE_VALUES = [
    *_entries(
        UNICODE,
        [
            ("rtl-override", "report\u202egnp.exe"),
            ("zero-width", "GOV\u200b-\u200d1\u200c\u2060"),
            ("combining-marks", "Z\u0334\u0321\u031b\u0348\u0313a\u0337l\u0337g\u0337o\u0337"),
            (
                "emoji",
                "\U0001f3db\ufe0f \U0001f469\u200d\U0001f469\u200d\U0001f467 \U0001f1ec\U0001f1e7",
            ),
            ("astral-letters", "\U0001d54f\U0001d54a\U0001d54a"),
            ("lone-surrogate", "a\ud800b"),
            ("nul", "a\x00b"),
            ("escape-sequence", "\x1b[31mred\x1b[0m"),
            ("backspace-and-bell", "a\x08\x07b"),
            ("xml-nonchars", "a\ufffeb\uffffc"),
            ("line-separators", "a\u2028b\u2029c"),
            ("byte-order-mark", "\ufeffGOV-1"),
            ("full-width", "\uff27\uff2f\uff36\uff0d\uff11"),
            ("homoglyph", "G\u041eV-1"),
            ("ligature-and-sharp-s", "\ufb01nance stra\u00dfe"),
            ("dotted-capital-i", "\u0130stanbul"),
        ],
    ),
    *_entries(
        UNICODE,
        [
            ("query-invalid-utf8", "q=%FF%FE%FD&area=%C0%AF"),
            ("query-malformed-percent", "q=%&area=%zz&theme=%E2%82"),
        ],
        sent_as=QUERY,
    ),
]

# Path tricks for the slugs and references in addresses, sent as they are in the path.
PATH_TRICKS = _entries(
    PATH,
    [
        ("dot-dot-slash", "../../etc/passwd"),
        ("encoded-dot-dot", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
        ("double-encoded-dot-dot", "%252e%252e%252fetc"),
        ("encoded-slash", "GOV-1%2f..%2f..%2fadmin"),
        ("protocol-relative", "//evil.example/"),
        ("encoded-protocol-relative", "%2f%2fevil.example"),
        ("backslashes", "..\\..\\windows\\win.ini"),
        ("encoded-backslashes", "%5c%5cevil.example"),
        ("trailing-dot", "GOV-1."),
        ("dot-only", "."),
        ("trailing-space", "GOV-1%20"),
        ("nul-byte", "GOV-1%00"),
        ("semicolon-parameter", "GOV-1;.json"),
        ("crlf", "GOV-1%0d%0aSet-Cookie:%20hacked=1"),
        ("lower-case-reference", "gov-1"),
        ("scheme", "https:%2f%2fevil.example"),
    ],
    sent_as=PATH_PIECE,
)

CORPUS = [*SCRIPTS, *FORMULAS, *SQL_FRAGMENTS, *OVERSIZED_VALUES, *UNICODE_VALUES, *PATH_TRICKS]
