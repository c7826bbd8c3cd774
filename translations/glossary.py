"""Changing the glossary in bulk: importing a file's rows (the import command and the admin's import page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from translations.glossary_files import GlossaryRow
from translations.models import GlossaryTerm

_COMPARED = ("term", "kind", "rendering", "variants", "forbidden", "category", "note")


@dataclass(frozen=True)
class TermChange:
    """A term an import creates or changes: its source and, per field that differs, (field, before, after).
    A new term lists the fields it is given (before: "")."""

    source: str
    created: bool
    fields: tuple[tuple[str, str, str], ...]

    @property
    def labelled(self) -> list[tuple[str, str, str]]:
        """The fields by their labels in the editor's language, for the admin."""
        return [(capfirst(GlossaryTerm._meta.get_field(name).verbose_name), before, after)
                for name, before, after in self.fields]


def _shown(name: str, value) -> str:
    """A field's value as one line: lists joined, kinds by their label."""
    if name == "kind":
        return str(GlossaryTerm.Kind(value).label) if value in GlossaryTerm.Kind.values else str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(value)
    return str(value or "")


def _term_change(source: str, before: dict | None, after: dict) -> TermChange:
    names = [name for name in _COMPARED if name != "term" and (before is None and after[name] or
                                                               before is not None and before[name] != after[name])]
    if before is not None and before["term"] != after["term"]:
        names.insert(0, "term")  # the same term in another case: the file's spelling wins
    return TermChange(source=source, created=before is None, fields=tuple(
        (name, _shown(name, before[name]) if before else "", _shown(name, after[name])) for name in names))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, source, why)
    changes: list[TermChange] = field(default_factory=list)  # the created and updated terms, in the file's order
    applied: bool = False

    @property
    def summary(self) -> str:
        """One line for the import command's output (in English, like the other commands' summaries)."""
        counts = f"{len(self.unchanged)} unchanged, {len(self.refused)} refused"
        if self.applied:
            return f"glossary import: {len(self.created)} created, {len(self.updated)} updated, {counts}"
        # Nothing was written: say what the rows would have done, not that they did it.
        would = f"would create {len(self.created)}, update {len(self.updated)}; {counts}"
        if self.refused:
            return f"glossary import: nothing changed ({would}); fix the refused rows and import again"
        return f"glossary import (dry run, nothing changed): {would}"

    @property
    def message(self) -> str:
        """The same in the editor's language, for the admin."""
        counts = {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
                  "refused": len(self.refused)}
        if self.applied:
            return _("Glossary imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % counts
        if self.refused:
            return ngettext(
                "Nothing imported: %(refused)s row was refused; fix it and import again. The other rows would "
                "create %(created)s terms, update %(updated)s and leave %(unchanged)s unchanged.",
                "Nothing imported: %(refused)s rows were refused; fix them and import again. The other rows would "
                "create %(created)s terms, update %(updated)s and leave %(unchanged)s unchanged.",
                len(self.refused)) % counts
        return _("Dry run, nothing changed: the file would create %(created)s terms, update %(updated)s and "
                 "leave %(unchanged)s unchanged.") % counts


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in error.message_dict.items())
    return " ".join(error.messages)


# Rows sent per executemany: the values of a thousand terms held at once, not the whole file's.
WRITE_BATCH = 1000


def glossary_import(*, rows: list[GlossaryRow], digest=None, dry_run: bool = False,
                    progress: Callable[[], None] | None = None) -> ImportReport:
    """Create or update one term per row, matched by source in any case; all rows or none. Into the
    newsroom's glossary, or (`digest`) that digest's additions: the terms of the other glossaries are
    neither matched nor changed.

    Steps:
    1. read the whole glossary (the newsroom's or the digest's) once (locked against another import meanwhile);
    2. for each row: refuse it without a source, or when an earlier row of the file had its
       source; take the term with that source (any case) or a new one, set the fields the file
       has (a column the file lacks keeps the term's value), validate it on its own
       (GlossaryTerm.clean_fields and clean_alone: the glossary's one term per source in any case
       is step 1's map), count it created, updated or unchanged;
    3. if any row was refused, or on a dry run, write nothing: a file with a bad row changes
       nothing, and the report says which lines to fix;
    4. otherwise write the new and the changed terms in batches (`_write`), in one transaction:
       30,000 rows in a few seconds, where saving row by row (with a query per row to find the
       same term in another case) took minutes (bench/glossary_import.py).
    """
    report = ImportReport()
    with transaction.atomic():
        existing = {term.term.lower(): term for term in GlossaryTerm.objects.select_for_update().filter(digest=digest)}
        seen: dict[str, int] = {}
        created: list[GlossaryTerm] = []
        updated: list[GlossaryTerm] = []
        for row in rows:
            if progress:
                progress()
            _import_row(row, existing, seen, report, created, updated, digest)
        if report.refused or dry_run:
            return report
        _write(created=created, updated=updated)
    report.applied = True
    return report


def _write(*, created: list[GlossaryTerm], updated: list[GlossaryTerm]) -> None:
    """Insert the new terms and update the changed ones, each value prepared by its field as the ORM
    does. (bulk_create spent about 0.2 ms a row in the ORM's compiler; bulk_update's CASE per column
    grows with the batch's square on SQLite: 27,000 changed terms took 92 s.)

    PostgreSQL: COPY the new rows into the table, and the changed ones into a temporary table that
    one UPDATE … FROM applies (a statement per row cost 0.2 ms each on the server). Elsewhere: one
    statement each for inserting and updating, its rows sent with executemany.
    """
    fields = [GlossaryTerm._meta.get_field(name) for name in _COMPARED]
    digest_field = GlossaryTerm._meta.get_field("digest")  # written with a new term, never changed by an import
    now = timezone.now()
    stamp = GlossaryTerm._meta.get_field("updated_at").get_db_prep_save(now, connection)
    quote = connection.ops.quote_name
    table = quote(GlossaryTerm._meta.db_table)
    columns = [quote(field.column) for field in fields]
    stamps = [quote("created_at"), quote("updated_at")]
    inserted = [*columns, quote(digest_field.column)]

    def values(term: GlossaryTerm) -> list:
        return [field.get_db_prep_save(getattr(term, field.attname), connection) for field in fields]

    def new_values(term: GlossaryTerm) -> list:
        return [*values(term), term.digest_id]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_rows(cursor, f"{table} ({', '.join(inserted + stamps)})",
                       ([*new_values(term), now, now] for term in created))
            if updated:
                held = ", ".join([quote("id"), *columns])
                cursor.execute(f"CREATE TEMPORARY TABLE glossary_import_rows ON COMMIT DROP AS SELECT {held} "
                               f"FROM {table} WITH NO DATA")
                _copy_rows(cursor, f"glossary_import_rows ({held})", ([term.pk, *values(term)] for term in updated))
                cursor.execute(f"UPDATE {table} AS term SET {', '.join(f'{column} = row.{column}' for column in columns)}, "
                               f"{stamps[1]} = %s FROM glossary_import_rows AS row WHERE term.{quote('id')} = row.{quote('id')}",
                               [now])
                cursor.execute("DROP TABLE glossary_import_rows")
            return
        for start in range(0, len(created), WRITE_BATCH):
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(inserted + stamps)}) VALUES ({', '.join(['%s'] * (len(inserted) + 2))})",
                [[*new_values(term), stamp, stamp] for term in created[start:start + WRITE_BATCH]])
        for start in range(0, len(updated), WRITE_BATCH):
            cursor.executemany(
                f"UPDATE {table} SET {', '.join(f'{column} = %s' for column in columns)}, {stamps[1]} = %s "
                f"WHERE {quote('id')} = %s",
                [[*values(term), stamp, term.pk] for term in updated[start:start + WRITE_BATCH]])


def _copy_rows(cursor, target: str, rows) -> None:
    """COPY `rows` into `target` ("table (columns)") through psycopg's copy, adapted as by execute."""
    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _validation_errors(term: GlossaryTerm) -> str:
    """What Model.full_clean would say of the term (its fields, then its own rules), without the
    per-row query for the same term in another case; "" when valid."""
    errors: dict = {}
    try:
        term.clean_fields(exclude=["created_at"])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    alone = term.clean_alone()
    if alone:
        errors = ValidationError(alone).update_error_dict(errors)
    return _messages(ValidationError(errors)) if errors else ""


def _import_row(row: GlossaryRow, existing: dict[str, GlossaryTerm], seen: dict[str, int], report: ImportReport,
                created: list[GlossaryTerm], updated: list[GlossaryTerm], digest=None) -> None:
    source = " ".join(row.source.split())
    if not source:
        report.refused.append((row.line, "", _("no English source")))
        return
    key = source.lower()
    if key in seen:
        report.refused.append((row.line, source, _("the same source as line %(line)s") % {"line": seen[key]}))
        return
    seen[key] = row.line
    if row.fields.get("kind") == "missing-chinese":
        report.refused.append((row.line, source, _("no Chinese term (for a keep-English term, repeat the English)")))
        return
    term = existing.get(key)
    before = {name: getattr(term, name) for name in _COMPARED} if term else None
    if term is None:
        term = GlossaryTerm(digest=digest)
    term.term = source
    for name, value in row.fields.items():
        setattr(term, name, value)
    if term.kind == GlossaryTerm.Kind.KEEP_ENGLISH and "rendering" not in row.fields:
        term.rendering = ""
    problem = _validation_errors(term)
    if problem:
        report.refused.append((row.line, source, problem))
        if before is not None:
            for name, value in before.items():
                setattr(term, name, value)
        return
    after = {name: getattr(term, name) for name in _COMPARED}
    if before is None:
        existing[key] = term
        created.append(term)
        report.created.append(source)
        report.changes.append(_term_change(source, None, after))
    elif after != before:
        updated.append(term)
        report.updated.append(source)
        report.changes.append(_term_change(source, before, after))
    else:
        report.unchanged.append(source)
