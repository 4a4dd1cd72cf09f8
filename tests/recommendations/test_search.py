"""/search/ and the search behind it (recommendations/search.py)."""

import pytest
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from recommendations.models import Example, Recommendation, Reference
from recommendations.search import MARK_END, MARK_START, highlight, search_vector
from tests.factories import ExampleFactory, RecommendationFactory, ReferenceFactory

ON_POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="full-text search runs on PostgreSQL (DATABASE_URL=postgres://…)"
)
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="the plain fallback runs off PostgreSQL")


def found(response):
    """[(kind, title)] of the results on a search page, in order."""
    return [(kind, result.title) for kind, result in response.context["results"]]


@pytest.mark.django_db
def test_one_search_finds_recommendations_examples_and_references(client):
    recommendation = RecommendationFactory(title="Pool budgets across services")
    recommendation.sources.add(ReferenceFactory(title="Budgets that cross boundaries"))
    recommendation.examples.add(ExampleFactory(title="Northbrook budgets for neighbourhoods"))
    RecommendationFactory(title="Something unrelated")

    response = client.get("/search/", {"q": "budgets"})

    assert response.status_code == 200
    assert sorted(found(response)) == [
        ("examples", "Northbrook budgets for neighbourhoods"),
        ("recommendations", "Pool budgets across services"),
        ("references", "Budgets that cross boundaries"),
    ]
    assert "3 results for “budgets”" in response.text
    assert "Cited by:" in response.text


@pytest.mark.django_db
def test_a_match_in_the_title_ranks_above_a_match_in_the_rationale(client):
    RecommendationFactory(title="Train managers", rationale="Leadership matters for budgets.")
    RecommendationFactory(title="Pool budgets", rationale="Shared money.")

    response = client.get("/search/", {"q": "budgets"})

    assert found(response) == [
        ("recommendations", "Pool budgets"),
        ("recommendations", "Train managers"),
    ]


@pytest.mark.django_db
def test_the_matched_words_are_marked_in_the_title_and_the_snippet(client):
    RecommendationFactory(
        title="Pool budgets", summary="Combine part of several budgets.", rationale=""
    )

    page = client.get("/search/", {"q": "budgets"}).text

    assert "Pool <mark>budgets</mark>" in page
    assert "Combine part of several <mark>budgets</mark>." in page


@pytest.mark.django_db
def test_what_editors_typed_is_escaped_in_results(client):
    RecommendationFactory(
        title="<script>alert('title')</script> budgets",
        summary="<img src=x onerror=alert(1)> budgets",
    )

    page = client.get("/search/", {"q": "budgets"}).text

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; <mark>budgets</mark>" in page
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>budgets</mark>" in page


@pytest.mark.django_db
def test_drafts_are_never_found(client):
    draft = RecommendationFactory(title="Secret budgets plan", draft=True)
    draft.sources.add(ReferenceFactory(title="Secret budgets paper"))
    draft.examples.add(ExampleFactory(title="Public budgets case"))
    ExampleFactory(title="Hidden budgets case", publication_state="draft")
    ReferenceFactory(title="Uncited budgets paper")

    response = client.get("/search/", {"q": "budgets"})

    assert found(response) == [("examples", "Public budgets case")]
    assert "Secret" not in response.text and "Hidden" not in response.text
    assert "Uncited" not in response.text


@pytest.mark.django_db
def test_results_can_be_narrowed_to_one_kind_and_back(client):
    RecommendationFactory(title="Pool budgets").examples.add(ExampleFactory(title="Budgets case"))

    response = client.get("/search/", {"q": "budgets", "type": "examples"})

    assert found(response) == [("examples", "Budgets case")]
    assert "<title>Search results for “budgets” (examples)" in response.text
    assert 'href="/search/?q=budgets">Everything (2)</a>' in response.text
    assert 'href="/search/?q=budgets&amp;type=recommendations">Recommendations (1)</a>' in (
        response.text
    )
    assert 'aria-current="page">Examples (1)</strong>' in response.text


@pytest.mark.django_db
def test_results_are_paged_and_a_page_past_the_end_is_a_404(client):
    RecommendationFactory.create_batch(25, title="Pool budgets")

    second = client.get("/search/", {"q": "budgets", "page": "2"})
    beyond = client.get("/search/", {"q": "budgets", "page": "3"})

    assert len(second.context["results"]) == 5
    assert 'href="/search/?q=budgets" rel="prev"' in second.text
    assert beyond.status_code == 404
    assert "There is no page 3: the results fill 2 pages." in beyond.text


@pytest.mark.django_db
def test_a_search_with_no_words_shows_only_the_form(
    client, no_page_cache, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        response = client.get("/search/")

    assert response.status_code == 200
    assert "<title>Search – " in response.text
    assert 'id="search-q"' in response.text
    assert "results for" not in response.text


@pytest.mark.django_db
def test_nothing_found_says_what_to_try(client):
    response = client.get("/search/", {"q": "zebra"})

    assert "0 results for “zebra”" in response.text
    assert "Nothing published matches your search." in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 201}, "Enter 200 characters or fewer to search for."),
        ({"q": "budgets", "type": "people"}, "“people” is not a kind of result."),
        ({"q": "bud\x00gets"}, "Null characters are not allowed."),
    ],
)
def test_bad_search_input_gets_a_clear_message(client, params, message):
    response = client.get("/search/", params)

    assert response.status_code == 200
    assert "There is a problem with the search" in response.text
    assert message in response.text
    assert "<title>Error: " in response.text


@pytest.mark.django_db
def test_the_list_filter_and_the_search_page_find_the_same_recommendations(client):
    RecommendationFactory(title="Open the data", rationale="Transparency and budgets.")
    RecommendationFactory(title="Pool budgets")
    RecommendationFactory(title="Unrelated")

    listed = client.get("/recommendations/", {"q": "budgets"}).context["page"].object_list
    searched = client.get("/search/", {"q": "budgets"}).context["results"]

    assert {item.reference for item in listed} == {item.reference for _, item in searched}


@pytest.mark.django_db
def test_a_reference_finds_exactly_that_recommendation(client):
    for _ in range(12):
        RecommendationFactory()

    assert found(client.get("/search/", {"q": "GOV-1"})) == [
        ("recommendations", Recommendation.objects.get(reference="GOV-1").title)
    ]


@postgres_only
@pytest.mark.django_db
def test_english_stemming_finds_other_forms_of_a_word(client):
    RecommendationFactory(title="A transformation programme for the council")
    ExampleFactory(title="Transformed neighbourhood teams")

    response = client.get("/search/", {"q": "transforming"})
    listed = client.get("/recommendations/", {"q": "transforming"})

    assert sorted(found(response)) == [
        ("examples", "Transformed neighbourhood teams"),
        ("recommendations", "A transformation programme for the council"),
    ]
    assert "A <mark>transformation</mark> programme" in response.text
    assert [item.reference for item in listed.context["page"].object_list] == ["GOV-1"]


@postgres_only
@pytest.mark.django_db
def test_quotes_and_minus_work_as_on_a_web_search(client):
    RecommendationFactory(title="Open data for residents")
    RecommendationFactory(title="Data open to partners")

    assert found(client.get("/search/", {"q": '"open data"'})) == [
        ("recommendations", "Open data for residents")
    ]
    assert found(client.get("/search/", {"q": "data -residents"})) == [
        ("recommendations", "Data open to partners")
    ]


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Recommendation.objects.matching("transforming"), "recommendation_search_idx"),
        (lambda: Example.objects.matching("transforming"), "example_search_idx"),
        (lambda: Reference.objects.matching("transforming"), "reference_search_idx"),
    ],
)
def test_full_text_search_uses_its_gin_index(queryset, index):
    # With sequential and plain index scans off, only a bitmap scan is left; a GIN index can
    # serve it only if it is on the stored search document the search matches.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset().explain()

    assert f"Bitmap Index Scan on {index}" in plan


def stored_and_expected_documents(model):
    """[(the stored search document, the weighted vector of the model's search fields)]."""
    expected = search_vector(model.objects.all().search_fields)
    return list(
        model.objects.annotate(
            stored=Cast("search_document", TextField()), expected=Cast(expected, TextField())
        ).values_list("stored", "expected")
    )


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("factory", [RecommendationFactory, ExampleFactory, ReferenceFactory])
def test_the_database_keeps_the_search_document_of_every_row_up_to_date(factory):
    model = factory._meta.model
    edited, bulk_edited = factory(title="Pooled budgets"), factory(title="Pooled budgets")
    edited.title = "Pooled transport"
    edited.save()
    model.objects.filter(pk=bulk_edited.pk).update(title="Pooled libraries")
    if model is not Recommendation:  # bulk_create skips save(): the trigger still fills it
        model.objects.bulk_create([factory.build(title="Bulk-made budgets")])

    documents = stored_and_expected_documents(model)

    # Each document is computed from the row as it is now, so an edit that missed the
    # trigger would differ from it.
    assert len(documents) == model.objects.count() >= 2
    assert all(stored and stored == expected for stored, expected in documents)


@pytest.mark.django_db
def test_a_title_changed_in_bulk_is_found_by_its_new_words(client):
    recommendation = RecommendationFactory(title="Pool budgets")
    Recommendation.objects.filter(pk=recommendation.pk).update(title="Pool libraries")

    assert found(client.get("/search/", {"q": "libraries"})) == [
        ("recommendations", "Pool libraries")
    ]
    assert found(client.get("/search/", {"q": "budgets"})) == []


@pytest.mark.django_db
def test_every_kind_is_ranked_together_and_paged_in_that_order(client):
    RecommendationFactory.create_batch(15, title="Pool budgets", summary="Shared money.")
    ExampleFactory.create_batch(10, title="Northbrook case", summary="Budgets in a town.")

    first = client.get("/search/", {"q": "budgets"})
    second = client.get("/search/", {"q": "budgets", "page": "2"})

    kinds = [kind for kind, _ in first.context["results"] + second.context["results"]]
    assert kinds == ["recommendations"] * 15 + ["examples"] * 10
    assert first.context["totals"] == {"recommendations": 15, "examples": 10, "references": 0}
    assert "25 results for “budgets”" in first.text


@sqlite_only
@pytest.mark.django_db
def test_the_plain_fallback_needs_every_word_somewhere(client):
    RecommendationFactory(title="Pool budgets", summary="Across services.")
    RecommendationFactory(title="Pool cars")

    assert found(client.get("/search/", {"q": "pool services"})) == [
        ("recommendations", "Pool budgets")
    ]


def test_highlight_escapes_the_text_and_marks_the_database_marks():
    text = f"a <b>bold</b> {MARK_START}claim{MARK_END} & more"

    assert highlight(text, "claim") == "a &lt;b&gt;bold&lt;/b&gt; <mark>claim</mark> &amp; more"


def test_highlight_never_leaves_a_mark_open():
    text = f"{MARK_START}one{MARK_END} two {MARK_START}three"

    assert highlight(text, "") == "<mark>one</mark> two three"


def test_highlight_marks_words_itself_when_the_database_did_not():
    assert highlight("Pooled Budgets work", "budget pool") == (
        "<mark>Pooled</mark> <mark>Budgets</mark> work"
    )


def test_highlight_cuts_long_text_around_the_first_match():
    text = " ".join(f"word{number}" for number in range(100)) + " needle " + "tail " * 50

    snippet = highlight(text, "needle", limit=10)

    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>needle</mark>" in snippet
    assert len(snippet.split()) <= 13


def test_highlight_shows_markdown_as_plain_words():
    text = "## Why\n\n- **Shared** [priorities](https://example.org) and `code`"

    assert highlight(text, "shared") == "Why <mark>Shared</mark> priorities and code"


@pytest.mark.django_db
def test_a_search_of_only_quotes_or_excluded_words_finds_nothing(client):
    RecommendationFactory(title="Pool budgets")

    for words in ['"', "-budgets", "or"]:
        response = client.get("/search/", {"q": words})
        assert response.context["results"] == [], words
