import gzip
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.core.serializers.python import Deserializer
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from areas.models import Area

from .backup_content import (
    BACKUP_FORMAT,
    BACKUP_VERSION,
    END_OF_BACKUP,
    applied_migrations,
    backup_models,
)

# Rows that `migrate` itself makes: the six areas and the three editorial groups. A restore
# replaces them with the backup's own.
MADE_BY_MIGRATE = [Area, Group]
LINK_BATCH = 2000


class BackupRefused(CommandError):
    """The file is not a complete backup that this database can take."""


def backup_lines(path):
    """The file's lines, decompressed if it is gzip (whatever its name)."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    binary = gzip.open(path, "rb") if compressed else open(path, "rb")
    with binary, io.TextIOWrapper(binary, encoding="utf-8", newline="\n") as text:
        yield from text


class BackupReader:
    """The rows of a backup, checked: its first line must say what it is and its last line
    must say that it is complete, with as many rows of each model as were read."""

    def __init__(self, path):
        self.labels = {model._meta.label_lower for model, _natural in backup_models()}
        self.lines = enumerate(backup_lines(path), start=1)
        self.header = self.read_header()
        self.counts = Counter()

    def read_header(self):
        try:
            _number, line = next(self.lines)
            header = json.loads(line)
        except (StopIteration, ValueError):
            header = None
        if not isinstance(header, dict) or header.get("format") != BACKUP_FORMAT:
            raise BackupRefused("This is not a backup made by backup_content.")
        if header.get("version") != BACKUP_VERSION:
            raise BackupRefused(
                f"This backup is in format version {header.get('version')}; this portal "
                f"reads version {BACKUP_VERSION}."
            )
        return header

    def __iter__(self):
        for number, line in self.lines:
            try:
                record = json.loads(line)
            except ValueError:
                raise BackupRefused(
                    f"Line {number} is not valid JSON: the file is damaged."
                ) from None
            if not isinstance(record, dict):
                raise BackupRefused(f"Line {number} is not a row: the file is damaged.")
            if END_OF_BACKUP in record:
                self.check_end(record, number)
                return
            if record.get("model") not in self.labels:
                raise BackupRefused(
                    f"Line {number} holds a row of {record.get('model')}, which a backup of "
                    "this portal never holds."
                )
            self.counts[record["model"]] += 1
            yield record
        raise BackupRefused("The file ends before the end of the backup: it is cut short.")

    def check_end(self, record, number):
        if next(self.lines, None) is not None:
            raise BackupRefused(f"There is more after the end of the backup on line {number}.")
        counts = record.get("counts")
        expected = Counter(counts) if isinstance(counts, dict) else None
        if expected is None or +expected != self.counts:
            raise BackupRefused("The rows read do not match the counts the backup ends with.")


class Command(BaseCommand):
    """Load a file written by `backup_content` into an empty, freshly migrated database.

    All or nothing: one transaction, rolled back on any error. Rows are saved as loaddata
    saves them (raw, so signal handlers add nothing), but links are written straight into
    their tables: setting them through the models would make simple-history record a new
    version of every recommendation with links, and the signal handlers mark related ones as
    changed. See docs/backup.md.
    """

    help = (
        "Restore a backup made by backup_content into an empty database (run migrate first). "
        "Refuses if the database already holds content."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup to restore (plain or gzip-compressed).")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {path}.")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("This database is not fully migrated: run migrate first.")
        try:
            with transaction.atomic():
                self.refuse_unless_empty()
                reader = BackupReader(path)
                self.refuse_unless_migrated(reader.header)
                self.clear_what_migrate_made()
                self.load(reader)
                connection.check_constraints()
                self.reset_sequences()
        except CommandError:
            raise
        except Exception as error:  # whatever it was, the transaction has rolled it all back
            raise CommandError(
                f"Nothing was restored: {path} could not be loaded: {error}"
            ) from error
        for label, count in reader.counts.items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Restored {reader.counts.total()} rows from {path}."))

    def refuse_unless_empty(self):
        found = [
            f"{model._meta.label_lower}: {model._base_manager.count()}"
            for model, _natural in backup_models()
            if model not in MADE_BY_MIGRATE and model._base_manager.exists()
        ]
        if found:
            raise CommandError(
                "The database already holds content, so nothing was restored ("
                + ", ".join(found)
                + "). Restore into a new, empty database: create it, run migrate, then "
                "restore_content."
            )

    def refuse_unless_migrated(self, header):
        here = applied_migrations()
        missing = [
            f"{app}.{name}"
            for app, names in header.get("migrations", {}).items()
            for name in names
            if name not in here.get(app, [])
        ]
        if missing:
            raise BackupRefused(
                "The backup was made by a newer version of the portal: this database lacks "
                f"the migrations {', '.join(missing)}. Deploy that version, migrate, restore."
            )
        # The other way round too: migrations made since the backup may have changed rows
        # (data migrations), which restoring old rows would skip.
        newer = [
            f"{app}.{name}"
            for app, names in here.items()
            if app in header.get("migrations", {})
            for name in names
            if name not in header["migrations"][app]
        ]
        if newer:
            raise BackupRefused(
                "The backup was made by an older version of the portal: this database has "
                f"the later migrations {', '.join(newer)}. Restore it with the version that "
                "made it, then upgrade and migrate."
            )

    def clear_what_migrate_made(self):
        # The areas' history is empty (refuse_unless_empty checked), so the history rows that
        # deleting them writes are the only ones, and go too.
        Area.objects.all().delete()
        Area.history.model.objects.all().delete()
        Group.objects.all().delete()

    def load(self, reader):
        links = defaultdict(list)
        for row in Deserializer(reader, handle_forward_references=False):
            linked_by_field = row.m2m_data
            row.save(save_m2m=False, force_insert=True)
            for name, linked_ids in linked_by_field.items():
                field = row.object._meta.get_field(name)
                through = field.remote_field.through
                source = through._meta.get_field(field.m2m_field_name()).attname
                target = through._meta.get_field(field.m2m_reverse_field_name()).attname
                links[through].extend(
                    through(**{source: row.object.pk, target: linked}) for linked in linked_ids
                )
                if len(links[through]) >= LINK_BATCH:
                    through.objects.bulk_create(links.pop(through))
        for through, rows in links.items():
            through.objects.bulk_create(rows)

    def reset_sequences(self):
        """Move id sequences past the restored ids (PostgreSQL), as loaddata does."""
        models = [model for model, _natural in backup_models()]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
