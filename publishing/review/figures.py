"""Post-editing figures: how much editors changed the machine drafts before approving them.

For each approved entry, the machine draft its text started from is compared with the
approved text (all Chinese fields together): unchanged, or the share of characters changed.
Grouped by day, and by the model and prompt version that wrote the draft.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from publishing.models import Entry
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
