"""Editorial review of entries: the only code that moves Entry.state. Every move is logged with its user."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from publishing.audit import audit_log
from publishing.models import Entry
from publishing.permissions import REVIEW_ENTRY
from translations.models import Revision
from translations.revisions import text_current

class ReviewError(Exception):
    """A move the entry's state does not allow, or a review based on text that changed since."""


def _require_reviewer(user) -> None:
    if user is None or not user.has_perm(REVIEW_ENTRY):
        raise PermissionDenied("only editors can approve, reject or reopen entries")


def _move(entry: Entry, to: Entry.State) -> None:
    current = Entry.State(entry.state)
    if to not in Entry.TRANSITIONS[current]:
        raise ReviewError(f"entry {entry.paper.arxiv_id} of {entry.day.date} is {current.value}; it cannot become {to.value}")
    entry.state = to


def _locked(entry: Entry) -> Entry:
    return Entry.objects.select_for_update().select_related("paper", "day").get(pk=entry.pk)


@transaction.atomic
def entry_approve(*, entry: Entry, user, seen_revision: int | None = None) -> Entry:
    """Approve the entry's current text. `seen_revision` is the revision the editor read:
    if the text changed since, the approval is refused (they must read the new text)."""
    _require_reviewer(user)
    entry = _locked(entry)
    current = text_current(entry.paper)
    if current is None:
        raise ReviewError(f"entry {entry.paper.arxiv_id} has no text to approve yet")
    if seen_revision is not None and seen_revision != current.number:
        raise ReviewError(
            f"entry {entry.paper.arxiv_id} changed since you read it (revision {seen_revision} → {current.number}); "
            "read it again before approving"
        )
    _move(entry, Entry.State.APPROVED)
    entry.approved_by, entry.approved_at, entry.approved_revision = user, timezone.now(), current
    entry.save(update_fields=["state", "approved_by", "approved_at", "approved_revision"])
    audit_log(user=user, obj=entry, message=f"Approved revision {current.number}")
    return entry


@transaction.atomic
def entry_reject(*, entry: Entry, user, note: str = "") -> Entry:
    _require_reviewer(user)
    entry = _locked(entry)
    _move(entry, Entry.State.REJECTED)
    entry.approved_by = entry.approved_at = entry.approved_revision = None
    if note:
        entry.editor_note = note
    entry.save(update_fields=["state", "approved_by", "approved_at", "approved_revision", "editor_note"])
    audit_log(user=user, obj=entry, message=f"Rejected{': ' + note if note else ''}")
    return entry


@transaction.atomic
def entry_reopen(*, entry: Entry, user) -> Entry:
    _require_reviewer(user)
    entry = _locked(entry)
    _move(entry, Entry.State.IN_REVIEW)
    entry.approved_by = entry.approved_at = entry.approved_revision = None
    entry.save(update_fields=["state", "approved_by", "approved_at", "approved_revision"])
    audit_log(user=user, obj=entry, message="Reopened for review")
    return entry


@transaction.atomic
def entries_follow_text(*, revision: Revision) -> None:
    """A paper's text changed: entries waiting for a draft go to review; an approved entry
    whose text an editor changed goes back to review (its approval was of other words)."""
    for entry in Entry.objects.select_for_update().filter(paper_id=revision.paper_id):
        if entry.state == Entry.State.AWAITING_DRAFT:
            entry.state = Entry.State.IN_REVIEW
            entry.save(update_fields=["state"])
        elif entry.state == Entry.State.APPROVED and entry.approved_revision_id != revision.pk:
            entry.state = Entry.State.IN_REVIEW
            entry.approved_by = entry.approved_at = entry.approved_revision = None
            entry.save(update_fields=["state", "approved_by", "approved_at", "approved_revision"])
