"""Post-editing figures: how much editors changed the machine drafts before approving them.

For each approved entry, the machine draft its text started from is compared with the
approved text (all Chinese fields together): unchanged, or the share of characters changed.
Grouped by day, by the model and prompt version that wrote the draft, and by the quality
check that fired on the draft.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from publishing.models import Entry
from translations.checks import SEVERITY_LABELS, check_named
from translations.diffing import changed_share
from translations.models import Revision


@dataclass(frozen=True)
class PostEditing:
    label: str
    approved: int
    unchanged: int
    mean_changed_share: float

    @property
    def unchanged_share(self) -> float:
        return self.unchanged / self.approved if self.approved else 0.0

    @property
    def unchanged_percent(self) -> str:
        return f"{self.unchanged_share:.0%}"

    @property
    def changed_percent(self) -> str:
        return f"{self.mean_changed_share:.1%}"


def _joined(text_source) -> str:
    return "\n".join(getattr(text_source, name) for name in Revision.TEXT_FIELDS)


def _measurements(entries) -> list[tuple[Entry, object, float]]:
    """(entry, machine draft, share changed) for approved entries whose text began as a machine draft."""
    entries = list(entries.select_related("approved_revision", "day"))
    first_revisions = {
        revision.paper_id: revision
        for revision in Revision.objects.filter(paper_id__in=[e.paper_id for e in entries], number=1).select_related("from_draft")
    }
    measured = []
    for entry in entries:
        first = first_revisions.get(entry.paper_id)
        if entry.approved_revision is None or first is None or first.from_draft is None:
            continue
        measured.append((entry, first.from_draft, changed_share(_joined(first.from_draft), _joined(entry.approved_revision))))
    return measured


def _summarise(label: str, shares: list[float]) -> PostEditing:
    return PostEditing(
        label=label,
        approved=len(shares),
        unchanged=sum(1 for share in shares if share == 0),
        mean_changed_share=sum(shares) / len(shares) if shares else 0.0,
    )


def post_editing_by_day() -> list[PostEditing]:
    by_day: dict = defaultdict(list)
    for entry, _draft, share in _measurements(Entry.objects.approved()):
        by_day[entry.day.date].append(share)
    return [_summarise(day.isoformat(), shares) for day, shares in sorted(by_day.items(), reverse=True)]


def post_editing_by_model() -> list[PostEditing]:
    by_model: dict = defaultdict(list)
    for _entry, draft, share in _measurements(Entry.objects.approved()):
        by_model[f"{draft.model_name} · {draft.prompt_version}"].append(share)
    return [_summarise(label, shares) for label, shares in sorted(by_model.items())]


@dataclass(frozen=True)
class PostEditingByCheck:
    check: str  # the check's id ("" for the drafts no check fired on)
    name: str
    severity: str
    drafts: int  # approved entries whose machine draft this check fired on
    mean_changed_share: float  # how much editors changed those entries
    gone: int  # of them, how many were approved with the finding no longer there

    @property
    def changed_percent(self) -> str:
        return f"{self.mean_changed_share:.1%}"

    @property
    def severity_label(self) -> str:
        return str(SEVERITY_LABELS[self.severity]) if self.severity in SEVERITY_LABELS else self.severity

    @property
    def gone_percent(self) -> str:
        return f"{self.gone / self.drafts:.0%}" if self.drafts else "—"


def post_editing_by_check() -> list[PostEditingByCheck]:
    """For each quality check: the approved entries whose machine draft it fired on, how much editors
    changed them, and how often the finding was gone from the approved text. A last row gives the same
    for drafts no check fired on, to compare with. Drafts made before the checks existed are left out."""
    fired: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    clean: list[float] = []
    for entry, draft, share in _measurements(Entry.objects.approved()):
        if draft.checks is None:
            continue
        approved_ids = {finding["check"] for finding in entry.approved_revision.checks or ()}
        draft_ids = dict.fromkeys(finding["check"] for finding in draft.checks)
        if not draft_ids:
            clean.append(share)
        for check_id in draft_ids:
            fired[check_id].append((share, entry.approved_revision.checks is not None and check_id not in approved_ids))
    rows = []
    for check_id, outcomes in sorted(fired.items()):
        check = check_named(check_id)
        rows.append(PostEditingByCheck(
            check=check_id, name=str(check.name) if check else check_id, severity=check.severity if check else "",
            drafts=len(outcomes), mean_changed_share=sum(share for share, _gone in outcomes) / len(outcomes),
            gone=sum(1 for _share, gone in outcomes if gone),
        ))
    if clean:
        rows.append(PostEditingByCheck(check="", name="", severity="", drafts=len(clean),
                                       mean_changed_share=sum(clean) / len(clean), gone=0))
    return rows
