"""Editorial review of entries: the only code that moves Entry.state, sets an entry's editor note
or restores its text from the history page. Every editor's action is logged with its user."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from publishing.audit import audit_log
from publishing.models import Entry
from publishing.permissions import CHANGE_ENTRY, REVIEW_ENTRY
from translations.models import Revision
from translations.revisions import revision_restore, text_current


class ReviewError(Exception):
    """A move the entry's state does not allow, or a review based on text that changed since."""


def _require_reviewer(user) -> None:
    if user is None or not user.has_perm(REVIEW_ENTRY):
        raise PermissionDenied("only editors can approve, reject or reopen entries")


def _require_editor(user) -> None:
    if user is None or not user.has_perm(CHANGE_ENTRY):
        raise PermissionDenied("only editors can change an entry's text or note")


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
def entry_note_set(*, entry: Entry, user, note: str) -> Entry:
    """Set the note editors leave on an entry for each other; setting the same note again changes nothing."""
    _require_editor(user)
    entry = _locked(entry)
    if entry.editor_note != note:
        entry.editor_note = note
        entry.save(update_fields=["editor_note"])
        audit_log(user=user, obj=entry, message="Changed the editor note")
    return entry


@transaction.atomic
def entry_text_restore(*, entry: Entry, user, number: int, base_number: int) -> Revision | None:
    """Make revision `number` of the entry's paper its text again, as a new revision on top of `base_number`.

    Returns the new revision, or None when the text already reads so. Raises ReviewError for a
    revision the paper does not have, StaleEdit when a revision newer than `base_number` exists.
    """
    _require_editor(user)
    old = entry.paper.revisions.filter(number=number).first()
    if old is None:
        raise ReviewError(f"{entry.paper.arxiv_id} has no revision {number}")
    restored = revision_restore(revision=old, author=user, base_number=base_number)
    if restored is not None:
        audit_log(user=user, obj=entry, message=f"Restored revision {number} as revision {restored.number}")
    return restored


@transaction.atomic
def entries_follow_text(*, revision: Revision) -> None:
    """A paper's text changed: entries waiting for a draft go to review; an approved entry
    whose text an editor changed goes back to review (its approval was of other words).
    The move is logged with the revision's author; a machine draft's text logs nothing."""
    for entry in Entry.objects.select_for_update().filter(paper_id=revision.paper_id):
        if entry.state == Entry.State.AWAITING_DRAFT:
            _move(entry, Entry.State.IN_REVIEW)
            entry.save(update_fields=["state"])
            audit_log(user=revision.author, obj=entry, message=f"In review: text arrived (revision {revision.number})")
        elif entry.state == Entry.State.APPROVED and entry.approved_revision_id != revision.pk:
            _move(entry, Entry.State.IN_REVIEW)
            entry.approved_by = entry.approved_at = entry.approved_revision = None
            entry.save(update_fields=["state", "approved_by", "approved_at", "approved_revision"])
            audit_log(user=revision.author, obj=entry,
                      message=f"Back to review: revision {revision.number} changed the approved text")
