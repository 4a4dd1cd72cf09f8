"""Keep each searchable row's weighted search vector in a column that the database maintains.

Ranking needs every match's vector: from an expression index PostgreSQL rebuilt it from the
text of each match, which made a common word cost seconds. Now `search_document` holds it: a
trigger fills it on every insert and on every update of a searched field (bulk inserts and
`QuerySet.update()`, which skip `save()`, included), existing rows are filled here, and the GIN
index moves from migration 0004's expressions to the column, keeping their names. The vector
stays in the row (storage MAIN) rather than moving to the TOAST table with the long text:
ranking reads it for every match, and a vector out of the row costs an index lookup each.

The trigger computes the same expression as Django's `SearchVector` of the model's
`search_fields` (recommendations/search.py); a test compares the two for every model. Change
those fields and this expression together, in a new migration. Other databases get the column,
which stays empty: their plain search reads the text itself.
"""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

SEARCH_CONFIG = "english"
# model: (index name, {weight: [fields]}), as in 0004_search_index.
SEARCHED = {
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


def document_sql(weighted_fields, row):
    """The SQL of the weighted vector of `row`'s fields, exactly as `SearchVector` writes it:
    each weight's fields joined by a space, each field null-safe."""
    parts = []
    for weight, fields in weighted_fields.items():
        text = " || ' ' || ".join(f"COALESCE({row}.\"{field}\", '')" for field in fields)
        parts.append(f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, {text}), '{weight}')")
    return " || ".join(parts)


def expression_index(name, weighted_fields):
    """Migration 0004's index, for going back to it."""
    vectors = [
        SearchVector(*fields, weight=weight, config=SEARCH_CONFIG)
        for weight, fields in weighted_fields.items()
    ]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return GinIndex(combined, name=name)


def column_index(name):
    return GinIndex(fields=["search_document"], name=name)


def fill_search_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, (index, weighted_fields) in SEARCHED.items():
        model = apps.get_model("recommendations", model_name)
        table = model._meta.db_table
        function = f"{table}_search_document"
        fields = [field for group in weighted_fields.values() for field in group]
        searched = ", ".join(f'"{field}"' for field in fields)
        schema_editor.remove_index(model, expression_index(index, weighted_fields))
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN search_document SET STORAGE MAIN")
        schema_editor.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.search_document := {document_sql(weighted_fields, "NEW")};
                RETURN NEW;
            END
            $$
            """
        )
        schema_editor.execute(
            f"CREATE TRIGGER {function} BEFORE INSERT OR UPDATE OF {searched} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        schema_editor.execute(
            f"UPDATE {table} SET search_document = {document_sql(weighted_fields, table)}"
        )
        schema_editor.add_index(model, column_index(index))


def drop_search_documents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, (index, weighted_fields) in SEARCHED.items():
        model = apps.get_model("recommendations", model_name)
        table = model._meta.db_table
        function = f"{table}_search_document"
        schema_editor.remove_index(model, column_index(index))
        schema_editor.execute(f"DROP TRIGGER {function} ON {table}")
        schema_editor.execute(f"DROP FUNCTION {function}()")
        schema_editor.add_index(model, expression_index(index, weighted_fields))


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0004_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name=model_name,
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True, serialize=False
            ),
        )
        for model_name in SEARCHED
    ] + [
        migrations.RunPython(fill_search_documents, drop_search_documents, elidable=False),
    ]
