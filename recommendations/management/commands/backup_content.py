import datetime
import gzip
import io
import json
import os
import tempfile
from pathlib import Path

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.postgres.search import SearchVectorField
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Prefetch

# The first line of a backup says what it is; the last says it is complete. Between them, one
# row a line, as `dumpdata --format jsonl` writes it.
BACKUP_FORMAT = "cuspe-portal-content-backup"
BACKUP_VERSION = 1
END_OF_BACKUP = "end_of_backup"
CONTENT_APPS = ["areas", "recommendations"]
MIGRATION_APPS = ["contenttypes", "auth", "admin", *CONTENT_APPS]
CHUNK_SIZE = 2000


def backup_models():
    """The models a backup holds, in the order it holds them, each with whether it refers
    to other rows by natural key.

    Groups, users and admin log entries point at permissions and content types, whose ids
    differ between databases, so they name them instead (and name groups and users, which
    are restored before anything that names them). Content keeps its ids: history rows,
    owners and links refer to them, and looking each one up by name would cost a query a row.
    """
    content = [
        model
        for label in CONTENT_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed and not model._meta.proxy
    ]
    return [
        (Group, True),
        (get_user_model(), True),
        *((model, False) for model in content),
        (LogEntry, True),
    ]


def applied_migrations():
    """{app: [migration names]} of the apps whose tables a backup fills."""
    applied = sorted(MigrationRecorder(connection).applied_migrations())
    return {
        app: [name for label, name in applied if label == app]
        for app in MIGRATION_APPS
        if any(label == app for label, _ in applied)
    }


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def derived_fields(model):
    """Fields the database fills by itself, left out of a backup: the search documents, which
    a trigger computes on every insert (on PostgreSQL), and which are as long as the text."""
    return [
        field.name for field in model._meta.concrete_fields if isinstance(field, SearchVectorField)
    ]


def kept_fields(model):
    """The names of the fields a backup holds for `model`; None when that is all of them."""
    derived = derived_fields(model)
    if not derived:
        return None
    fields = [*model._meta.concrete_fields, *model._meta.many_to_many]
    return [field.name for field in fields if field.name not in derived]


def rows_of(model, natural):
    """Every row of `model` in id order, read in chunks with its links prefetched.

    Links are ordered so that the same content always writes the same file: by id, or by
    natural key where ids differ between databases (permissions).
    """
    queryset = model._base_manager.order_by("pk").defer(*derived_fields(model))
    for field in model._meta.many_to_many:
        target = field.related_model
        if natural and hasattr(target, "natural_key"):
            linked = target._base_manager.select_related().order_by(*target._meta.ordering, "pk")
        else:
            linked = target._base_manager.only("pk").order_by("pk")
        queryset = queryset.prefetch_related(Prefetch(field.name, queryset=linked))
    if natural:
        queryset = queryset.select_related()
    return queryset.iterator(chunk_size=CHUNK_SIZE)


def counted(rows, counts, label):
    for row in rows:
        counts[label] += 1
        yield row


def backup_write(stream):
    """Write the whole backup to a text stream; return the rows written per model."""
    stream.write(
        json.dumps(
            {
                "format": BACKUP_FORMAT,
                "version": BACKUP_VERSION,
                "migrations": applied_migrations(),
            }
        )
        + "\n"
    )
    counts = {}
    for model, natural in backup_models():
        label = model._meta.label_lower
        counts[label] = 0
        serializers.serialize(
            "jsonl",
            counted(rows_of(model, natural), counts, label),
            stream=stream,
            fields=kept_fields(model),
            cls=ExactJSONEncoder,
            use_natural_foreign_keys=natural,
        )
    stream.write(json.dumps({END_OF_BACKUP: True, "counts": counts}) + "\n")
    return counts


class Command(BaseCommand):
    """Write the portal's whole content to one file that `restore_content` loads again.

    Everything in the areas and recommendations apps (history included), the users (with
    their password hashes) and groups it refers to, and the admin log. Sessions, API tokens
    and login attempts are left out. See docs/backup.md.
    """

    help = (
        "Back up the portal's content, users and groups to FILE (gzip-compressed if FILE ends "
        "in .gz). The file holds password hashes: keep it secret."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="Where to write the backup, e.g. portal-2026-01-31.jsonl.gz"
        )

    def handle(self, *args, file, **options):
        path = Path(file)
        if path.is_dir():
            raise CommandError(f"{path} is a folder: name the file to write.")
        if not path.parent.is_dir():
            raise CommandError(f"There is no folder {path.parent} to write the backup in.")
        # Written beside the target and renamed into place, so a backup that fails half-way
        # never leaves a half file under the requested name. mkstemp makes it readable by its
        # owner only, as a file of password hashes should be.
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
        try:
            with os.fdopen(descriptor, "wb") as raw:
                counts = self.write(raw, compress=path.suffix == ".gz")
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Backed up {sum(counts.values())} rows to {path}."))

    def write(self, raw, *, compress):
        # No name or time in the gzip header: the same content gives the same file.
        binary = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if compress else raw
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
        try:
            return self.snapshot(text)
        finally:
            text.detach()  # flushes, and leaves `raw` open to be synced and renamed
            if compress:
                binary.close()  # writes gzip's ending

    def snapshot(self, stream):
        """Read everything in one transaction, so editors' saves during the backup cannot
        leave it with a row whose report or owner is missing."""
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                # PostgreSQL otherwise gives each query its own snapshot.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return backup_write(stream)
