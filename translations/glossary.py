"""Changing the glossary in bulk: importing a file's rows (the import command and the admin's import page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from translations.glossary_files import GlossaryRow
from translations.models import GlossaryTerm

_COMPARED = ("term", "kind", "rendering", "variants", "forbidden", "category", "note")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, source, why)
    applied: bool = False

    @property
    def summary(self) -> str:
        counts = (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                  f"{len(self.refused)} refused")
        if self.applied:
            return f"glossary import: {counts}"
        if self.refused:
            return f"glossary import: nothing changed ({counts}); fix the refused rows and import again"
        return f"glossary import (dry run, nothing changed): {counts}"


class _Rollback(Exception):
    pass


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in error.message_dict.items())
    return " ".join(error.messages)


def glossary_import(*, rows: list[GlossaryRow], dry_run: bool = False,
                    progress: Callable[[], None] | None = None) -> ImportReport:
    """Create or update one term per row, matched by source in any case; all rows or none.

    Steps:
    1. refuse a row without a source, or whose source an earlier row of the file already had;
    2. take the term with that source (any case) or a new one, set the fields the file has
       (a column the file lacks keeps the term's value), validate it (GlossaryTerm.clean);
    3. count it created, updated or unchanged, and save it;
    4. if any row was refused, or on a dry run, roll everything back: a file with a bad row
       changes nothing, and the report says which lines to fix.
    """
    report = ImportReport()
    try:
        with transaction.atomic():
            existing = {term.term.lower(): term for term in GlossaryTerm.objects.select_for_update()}
            seen: dict[str, int] = {}
            for row in rows:
                if progress:
                    progress()
                _import_row(row, existing, seen, report)
            if report.refused or dry_run:
                raise _Rollback
    except _Rollback:
        return report
    report.applied = True
    return report


def _import_row(row: GlossaryRow, existing: dict[str, GlossaryTerm], seen: dict[str, int],
                report: ImportReport) -> None:
    source = " ".join(row.source.split())
    if not source:
        report.refused.append((row.line, "", "no English source"))
        return
    key = source.lower()
    if key in seen:
        report.refused.append((row.line, source, f"the same source as line {seen[key]}"))
        return
    seen[key] = row.line
    if row.fields.get("kind") == "missing-chinese":
        report.refused.append((row.line, source, "no Chinese term (for a keep-English term, repeat the English)"))
        return
    term = existing.get(key)
    before = {name: getattr(term, name) for name in _COMPARED} if term else None
    if term is None:
        term = GlossaryTerm()
    term.term = source
    for name, value in row.fields.items():
        setattr(term, name, value)
    if term.kind == GlossaryTerm.Kind.KEEP_ENGLISH and "rendering" not in row.fields:
        term.rendering = ""
    try:
        term.full_clean(exclude=["created_at"], validate_constraints=False)
    except ValidationError as exc:
        report.refused.append((row.line, source, _messages(exc)))
        if before is not None:
            for name, value in before.items():
                setattr(term, name, value)
        return
    after = {name: getattr(term, name) for name in _COMPARED}
    if before is None:
        term.save()
        existing[key] = term
        report.created.append(source)
    elif after != before:
        term.save()
        report.updated.append(source)
    else:
        report.unchanged.append(source)
