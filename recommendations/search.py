"""Full-text search over the public content, with the matched words highlighted.

On PostgreSQL, each searchable model is matched against a weighted English vector of its
`search_fields` (so "transforming" finds "transformation"), with `websearch_to_tsquery` (quotes,
`or` and `-word` work, and no input is a syntax error), ranked with `SearchRank` and highlighted
with `SearchHeadline`. The vector is stored in each row's `search_document`, which a trigger
(migration 0005_search_document) keeps equal to `search_vector(search_fields)` on every write,
bulk ones included, and which a GIN index serves; a test compares the two. Change the fields
here and the trigger together, in a new migration.

Elsewhere (SQLite in development) `search_document` stays empty: every word must appear
somewhere (`icontains`), rows are ranked by where the words appear, and `highlight()` marks
the words itself: the page is the same.
"""

import re
from functools import cached_property

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connections, models
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import mark_safe

SEARCH_CONFIG = "english"
# What SearchRank gives each weight, reused by the plain fallback so ranks mean the same.
WEIGHT_VALUES = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
# SearchHeadline puts these around matched words; `highlight()` turns them into <mark> after
# escaping the text, so nothing an editor typed is ever treated as HTML.
MARK_START, MARK_END = "\x02", "\x03"
SNIPPET_WORDS = 35


def search_vector(weighted_fields):
    """The weighted English vector for {"A": [field, ...], "B": [...], ...}."""
    vectors = [
        SearchVector(*fields, weight=weight, config=SEARCH_CONFIG)
        for weight, fields in weighted_fields.items()
    ]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return combined


def search_query(words):
    return SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)


def plain_terms(words):
    """The words a plain search looks for: no quotes, no `or`, no `-excluded` words."""
    terms = []
    for word in words.split():
        word = word.strip("\"'")
        if word and word.lower() != "or" and not word.startswith("-"):
            terms.append(word)
    return terms


class SearchableManager(models.Manager):
    """Leaves each row's `search_document` unread: only the database needs it, and it is about
    as long as the text it indexes, which every list and export would otherwise carry."""

    def get_queryset(self):
        return super().get_queryset().defer("search_document")


class SearchableQuerySet(models.QuerySet):
    """Search for any model: subclasses say which fields to search and how much each counts."""

    # Fields by weight, "A" counting most; every weight listed here is indexed.
    search_fields: dict[str, list[str]] = {}
    # Fields a plain (non-PostgreSQL) search compares whole, such as a reference.
    search_exact_fields: list[str] = []
    # The short field shown as the result's heading, and the fields a snippet is cut from.
    search_title_field = "title"
    search_snippet_fields: list[str] = []

    def _uses_full_text_search(self):
        return connections[self.db].vendor == "postgresql"

    def matching(self, words):
        """Rows that match the words: full-text search on PostgreSQL, every word elsewhere."""
        words = (words or "").strip()
        if not words:
            return self
        if self._uses_full_text_search():
            return self.filter(search_document=search_query(words))
        fields = [field for group in self.search_fields.values() for field in group]
        terms = plain_terms(words)
        if not terms:  # only quotes, "or" or excluded words: nothing to look for
            return self.none()
        for term in terms:
            condition = models.Q()
            for field in fields:
                lookup = "iexact" if field in self.search_exact_fields else "icontains"
                condition |= models.Q(**{f"{field}__{lookup}": term})
            self = self.filter(condition)
        return self

    def ranked(self, words):
        """matching(words) annotated with `rank`, best first."""
        matches = self.matching(words)
        if self._uses_full_text_search():
            rank = SearchRank(models.F("search_document"), search_query(words))
        else:
            rank = models.Value(0.0)
            for term in plain_terms(words):
                for weight, fields in self.search_fields.items():
                    for field in fields:
                        rank = rank + models.Case(
                            models.When(
                                models.Q(**{f"{field}__icontains": term}),
                                then=models.Value(WEIGHT_VALUES[weight]),
                            ),
                            default=models.Value(0.0),
                        )
        return matches.annotate(rank=rank).order_by("-rank", "pk")

    def highlighted(self, words):
        """Annotate `title_marked` and `snippet_marked` for `highlight()` to show.

        On PostgreSQL the matched words (stems included) arrive marked; elsewhere the text
        arrives whole and `highlight()` marks the words and cuts the snippet.
        """
        snippet_text = Concat(
            *[
                part
                for field in self.search_snippet_fields
                for part in (models.F(field), models.Value(" "))
            ],
            output_field=models.TextField(),
        )
        if not self._uses_full_text_search():
            return self.annotate(
                title_marked=models.F(self.search_title_field), snippet_marked=snippet_text
            )
        query = search_query(words)
        marks = {"start_sel": MARK_START, "stop_sel": MARK_END, "config": SEARCH_CONFIG}
        return self.annotate(
            title_marked=SearchHeadline(
                self.search_title_field, query, highlight_all=True, **marks
            ),
            snippet_marked=SearchHeadline(
                snippet_text,
                query,
                max_words=SNIPPET_WORDS,
                min_words=SNIPPET_WORDS // 2,
                **marks,
            ),
        )


class RankedHits:
    """The matches of several kinds as one ranked sequence of (kind, pk, rank), best first,
    ties in the order of the kinds and then by id; a Paginator pages through it.

    `querysets` maps each kind ("recommendations", ...) to a SearchableQuerySet. The matches
    are counted per kind in one query, and a page is ranked, merged and cut in another (one
    UNION ALL, ordered and limited by the database), so only the page's hits reach Python.

    Every match is counted and ranked: no cap. Both still read each match's row, so a word
    in most rows (such as "council") costs two passes over the table. Ranking only some of
    the matches (say the 1,000 newest) would save one pass, not the count's, and would no
    longer put the best match first; the counts shown cannot be cut without saying so on
    the page. At 100,000 recommendations each pass took 80 to 100 ms on a shared 2-core machine.
    """

    def __init__(self, querysets, words, *, totals=None):
        self.querysets = querysets
        self.words = words
        if totals is not None:
            self.totals = totals

    @cached_property
    def totals(self):
        """{kind: how many rows match}, for every kind, in one query."""
        counts = [
            queryset.matching(self.words)
            .order_by()
            .annotate(kind=models.Value(kind))
            .values("kind")
            .annotate(total=models.Count("pk"))
            .values_list("kind", "total")
            for kind, queryset in self.querysets.items()
        ]
        found = dict(counts[0].union(*counts[1:], all=True))
        return {kind: found.get(kind, 0) for kind in self.querysets}

    def of_kind(self, kind):
        """Only the hits of one kind (its count already known)."""
        return RankedHits(
            {kind: self.querysets[kind]}, self.words, totals={kind: self.totals[kind]}
        )

    def count(self):
        return sum(self.totals.values())

    def __len__(self):
        return self.count()

    def __getitem__(self, window):
        """The hits in `window` (a slice, as a Paginator asks for a page)."""
        kinds = [kind for kind in self.querysets if self.totals[kind]]
        if not kinds:
            return []
        ranked = [
            self.querysets[kind]
            .ranked(self.words)
            .order_by()
            .annotate(kind_position=models.Value(position))
            .values_list("kind_position", "pk", "rank")
            for position, kind in enumerate(kinds)
        ]
        page = ranked[0].union(*ranked[1:], all=True).order_by("-rank", "kind_position", "pk")
        return [(kinds[position], pk, rank) for position, pk, rank in page[window]]


# Markdown an editor typed, which a snippet shows as plain words: links keep their text;
# emphasis, code marks, heading and list markers go.
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(
    r"\*\*|__|`|\*(?=\S)|(?<=\S)\*|(?<!\w)_(?=\w)|(?<=\w)_(?!\w)"
    r"|(?m:^[ \t]*(?:#{1,6}|[-+]|\d+\.)[ \t]+)"
)
_WHITESPACE = re.compile(r"\s+")


def _plain(text):
    text = _MARKDOWN_LINK.sub(r"\1", text or "")
    return _WHITESPACE.sub(" ", _MARKDOWN_MARKS.sub("", text)).strip()


def _marked_by_database(text):
    """Escape `text`, turning MARK_START…MARK_END into <mark>…</mark> (and dropping strays)."""
    html = []
    for piece in re.split(f"({MARK_START}[^{MARK_END}]*{MARK_END})", text):
        if piece.startswith(MARK_START) and piece.endswith(MARK_END):
            html.append(f"<mark>{escape(piece[1:-1])}</mark>")
        else:
            html.append(escape(piece.replace(MARK_START, "").replace(MARK_END, "")))
    return "".join(html)


def _marked_here(text, words, limit):
    """Escape about `limit` words of `text` around the first searched word, marking each one."""
    terms = sorted(plain_terms(words), key=len, reverse=True)
    alternatives = "|".join(re.escape(term) for term in terms)
    pattern = re.compile(rf"\w*(?:{alternatives})\w*", re.IGNORECASE) if terms else None
    tokens = text.split(" ")
    first = next(
        (index for index, token in enumerate(tokens) if pattern and pattern.search(token)), 0
    )
    start = max(0, min(first - limit // 3, len(tokens) - limit))
    window = " ".join(tokens[start : start + limit])
    html, position = [], 0
    for match in pattern.finditer(window) if pattern else ():
        html.append(escape(window[position : match.start()]))
        html.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    html.append(escape(window[position:]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + limit < len(tokens) else ""
    return prefix + "".join(html) + suffix


def highlight(text, words="", *, limit=SNIPPET_WORDS):
    """Safe HTML of `text` with the searched words in <mark>, cut to about `limit` words.

    Text from `highlighted()` on PostgreSQL carries MARK_START/MARK_END around the matches;
    other text is searched here for the words (the plain fallback, or a match found only in
    another field). Everything is escaped before any <mark> is added.
    """
    text = _plain(text)
    if MARK_START in text:
        return mark_safe(_marked_by_database(text))
    text = text.replace(MARK_END, "")
    return mark_safe(_marked_here(text, words, limit))
