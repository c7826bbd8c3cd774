"""The quality checks' findings as the review pages show them: named from the registry, with the
offending span marked in an excerpt of the text. Everything from the text is escaped; only the
`<mark>` around the span is markup."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString

from publishing.review.forms import text_label
from translations.checks import ERROR, SEVERITY_LABELS, WARNING, check_named
from translations.models import Revision

EXCERPT_CONTEXT = 40  # characters shown either side of the span


@dataclass(frozen=True)
class ShownFinding:
    check: str
    name: str
    severity: str
    severity_label: str
    description: str
    field_label: str
    message: str
    excerpt: SafeString  # the text around the span, the span in <mark>; "" when the finding has no span


def marked_excerpt(text: str, start: int | None, end: int | None, *, context: int = EXCERPT_CONTEXT) -> SafeString:
    """`text` around [start, end) with that span in <mark>, all of it escaped; "" for no (or a stale) span."""
    if start is None or end is None or not 0 <= start <= end <= len(text):
        return SafeString("")
    before_start = max(0, start - context)
    after_end = min(len(text), end + context)
    return format_html(
        "{}{}<mark>{}</mark>{}{}",
        "…" if before_start else "",
        text[before_start:start],
        text[start:end],
        text[end:after_end],
        "…" if after_end < len(text) else "",
    )


def findings_shown(findings: Iterable[Mapping], text: Mapping[str, str]) -> list[ShownFinding]:
    """Each stored finding, errors first, as the review page lists it."""
    shown = []
    for finding in findings:
        check = check_named(finding["check"])
        severity = check.severity if check else WARNING
        field = finding.get("field", "")
        shown.append(ShownFinding(
            check=finding["check"],
            name=str(check.name) if check else finding["check"],
            severity=severity,
            severity_label=str(SEVERITY_LABELS[severity]),
            description=str(check.description) if check else "",
            field_label=str(text_label(field)) if field in Revision.TEXT_FIELDS else "",
            message=finding.get("message", ""),
            excerpt=marked_excerpt(text.get(field, "") or "", finding.get("start"), finding.get("end")),
        ))
    return sorted(shown, key=lambda item: item.severity != ERROR)


def severity_counts(findings: Iterable[Mapping] | None) -> dict[str, int] | None:
    """{"error": n, "warning": m} for stored findings; None when the text was never checked."""
    if findings is None:
        return None
    counts = Counter(check.severity if (check := check_named(f["check"])) else WARNING for f in findings)
    return {ERROR: counts[ERROR], WARNING: counts[WARNING]}
