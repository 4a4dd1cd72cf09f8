"""GIN indexes for full-text search on PostgreSQL; nothing on other databases.

Each index is on the same weighted English vector that recommendations/search.py searches
(`SearchableQuerySet.search_fields`), so PostgreSQL can use it for `@@` matches; a test runs
EXPLAIN to check that it does. Change a model's search fields and this expression together, in
a new migration.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

SEARCH_INDEXES = {
    "recommendation": (
        "recommendation_search_idx",
        {"A": ["reference", "title"], "B": ["summary"], "C": ["rationale"]},
    ),
    "example": (
        "example_search_idx",
        {"A": ["title"], "B": ["summary", "organisation", "place"], "C": ["description"]},
    ),
    "reference": ("reference_search_idx", {"A": ["title"], "B": ["authors", "publisher"]}),
}


def search_index(name, weighted_fields):
    vectors = [
        SearchVector(*fields, weight=weight, config="english")
        for weight, fields in weighted_fields.items()
    ]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return GinIndex(combined, name=name)


def add_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, (name, weighted_fields) in SEARCH_INDEXES.items():
        model = apps.get_model("recommendations", model_name)
        schema_editor.add_index(model, search_index(name, weighted_fields))


def remove_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, (name, weighted_fields) in SEARCH_INDEXES.items():
        model = apps.get_model("recommendations", model_name)
        schema_editor.remove_index(model, search_index(name, weighted_fields))


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0003_editorial_workflow_and_tracking"),
    ]

    operations = [
        migrations.RunPython(add_search_indexes, remove_search_indexes, elidable=False),
    ]
