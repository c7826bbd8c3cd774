"""The registry of named quality checks, in the manner of Weblate's `checks/base.py`.

A check has a stable id (stored with its findings, so never renamed), a name, a severity and a
description, and a pure function over plain data (`CheckInput`) that returns `Finding`s. Nothing
here touches the database: `translations.quality` gathers a paper's source and glossary rules and
stores the findings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from translations.terminology import TermMatcher, TermRule

logger = logging.getLogger(__name__)

ERROR = "error"
WARNING = "warning"
SEVERITY_LABELS = {ERROR: _("error"), WARNING: _("warning")}


@dataclass(frozen=True)
class CheckInput:
    """What a check reads: the Chinese text by field name and the English it was made from."""

    text: Mapping[str, str]  # ChineseText.TEXT_FIELDS -> text
    title: str = ""  # the paper's English title
    abstract: str = ""  # its English abstract
    full_text: str = ""  # the full text drafting used ("" when only the abstract was had)
    # The paper's other metadata, as text: its arXiv page, comments, journal reference and DOI link.
    metadata: str = ""
    rules: tuple[TermRule, ...] = field(default=())  # the glossary rules the paper uses
    # The whole glossary, to see terms the Chinese names that the paper's English never uses
    # (None: not known, and that check is skipped).
    glossary: TermMatcher | None = field(default=None, compare=False)

    @property
    def source_text(self) -> str:
        return "\n".join([self.title, self.abstract, self.full_text])

    def field_text(self, name: str) -> str:
        return self.text.get(name, "") or ""


@dataclass(frozen=True)
class Finding:
    """One place where a check fired. `start`/`end` index `field`'s text; None when nothing in
    the Chinese can be pointed at (a term that is missing)."""

    check: str
    field: str
    start: int | None
    end: int | None
    message: str

    def as_json(self) -> dict:
        return {"check": self.check, "field": self.field, "start": self.start, "end": self.end, "message": self.message}

    @classmethod
    def from_json(cls, data: Mapping) -> Finding:
        return cls(check=data["check"], field=data.get("field", ""), start=data.get("start"), end=data.get("end"),
                   message=data.get("message", ""))


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    severity: str
    description: str
    run: Callable[[CheckInput], Iterable[Finding]]


CHECKS: dict[str, Check] = {}


def register(*, id: str, name, severity: str, description):
    """Decorator: add the function to the registry as the check `id`."""

    def add(function: Callable[[CheckInput], Iterable[Finding]]):
        if id in CHECKS:
            raise ValueError(f"check id {id!r} is registered twice")
        CHECKS[id] = Check(id=id, name=name, severity=severity, description=description, run=function)
        return function

    return add


def run_checks(source: CheckInput, *, only: Collection[str] | None = None) -> list[Finding]:
    """Every registered check (or the `only` ones) on `source`, in registry order; within a check, in text order
    (fields in the order `source.text` lists them, then by position; a finding without a span last).

    A check that fails (a bug, or text it cannot handle) becomes a finding of its own saying so,
    with that check's severity: the draft or the editor's save goes through, and the editor
    checks by hand what the check could not.
    """
    field_order = {name: index for index, name in enumerate(source.text)}
    findings: list[Finding] = []
    for check in CHECKS.values():
        if only is not None and check.id not in only:
            continue
        try:
            found = list(check.run(source))
        except Exception as exc:
            logger.exception("quality check %s failed", check.id)
            found = [Finding(check.id, "", None, None, f"检查未能完成（{exc.__class__.__name__}），请人工核对")]
        found.sort(key=lambda finding: (field_order.get(finding.field, len(field_order)), float("inf") if finding.start is None else finding.start))
        findings.extend(found)
    return findings


def check_named(check_id: str) -> Check | None:
    return CHECKS.get(check_id)


def severity_of(check_id: str) -> str:
    check = CHECKS.get(check_id)
    return check.severity if check else WARNING


def errors_in(findings: Iterable[Mapping]) -> list[Mapping]:
    """The stored findings (dicts) whose check is of error severity."""
    return [finding for finding in findings if severity_of(finding["check"]) == ERROR]
