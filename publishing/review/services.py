"""Editorial review of entries: the only code that moves Entry.state, sets an entry's editor note
or restores its text from the history page. Every editor's action is logged with its user."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digests.access import require_in_digest
from publishing.audit import audit_log
from publishing.models import Entry
from publishing.permissions import CHANGE_ENTRY, REVIEW_ENTRY
from publishing.review.source_changes import source_changes_resolve
from translations.checks import check_named, errors_in
from translations.memory import memory_store_revision
from translations.models import Revision
from translations.quality import findings_of
from translations.revisions import revision_restore, text_changed_since, text_current
from translations.suggestions import corrections_record


class ReviewError(Exception):
    """A move the entry's state does not allow, or a review based on text that changed since.

    Like Django's ValidationError: `code` names the refusal for code and tests, and str() is the
    message in the active language, so each page shows it in its reader's language.
    """

    def __init__(self, message, *, code: str, params: dict | None = None) -> None:
        self.message, self.code, self.params = message, code, params or {}
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message) % self.params


class TextChangedSinceRead(ReviewError):
    """An approval of text that changed after the editor read revision `seen_revision`: `current`
    is the newest revision and `changed` the fields changed since, for the page to say who changed what."""

    def __init__(self, *, entry: Entry, current: Revision, seen_revision: int) -> None:
        self.current, self.seen_revision = current, seen_revision
        self.changed = text_changed_since(paper=entry.paper, number=seen_revision)
        super().__init__(
            _("%(arxiv_id)s changed since you read it (revision %(seen)d → %(current)d); read it again before approving."),
            code="changed_since_read",
            params={"arxiv_id": entry.paper.arxiv_id, "seen": seen_revision, "current": current.number},
        )


class CheckErrorsNotConfirmed(ReviewError):
    """An approval of text with error-severity check findings, not confirmed by the editor:
    `errors` are those findings (as stored), for the page to list."""

    def __init__(self, *, entry: Entry, errors: list[dict]) -> None:
        self.errors = errors
        names = dict.fromkeys(str(check.name) if (check := check_named(f["check"])) else f["check"] for f in errors)
        super().__init__(
            _("%(arxiv_id)s has errors found by the quality checks (%(checks)s); confirm to approve it despite them."),
            code="check_errors",
            params={"arxiv_id": entry.paper.arxiv_id, "checks": ", ".join(names)},
        )


def require_reviewer(user, entry: Entry) -> None:
    """Editors of the entry's digest (digests.access) approve, reject and reopen it."""
    require_in_digest(user, REVIEW_ENTRY, entry.digest_id,
                      "only editors of the entry's digest can approve, reject or reopen it")


def require_editor(user, entry: Entry) -> None:
    require_in_digest(user, CHANGE_ENTRY, entry.digest_id, "only editors of the entry's digest can change its text or note")


def _move(entry: Entry, to: Entry.State, **fields) -> None:
    """Move a locked entry by its table, with the fields that change with the move."""
    current = Entry.State(entry.state)
    if not Entry.TRANSITIONS.allows(current, to):
        raise ReviewError(
            _("%(arxiv_id)s of %(date)s is %(state)s; it cannot become %(target)s."),
            code="move_not_allowed",
            params={"arxiv_id": entry.paper.arxiv_id, "date": entry.day.date, "state": current.label, "target": to.label},
        )
    Entry.TRANSITIONS.move(entry, to, **fields)


def _approval_cleared() -> dict:
    return {"approved_by": None, "approved_at": None, "approved_revision": None, "approved_despite_checks": []}


def _locked(entry: Entry) -> Entry:
    return Entry.objects.select_for_update().select_related("paper", "day").get(pk=entry.pk)


@transaction.atomic
def entry_approve(*, entry: Entry, user, seen_revision: int | None = None, despite_errors: bool = False) -> Entry:
    """Approve the entry's current text. `seen_revision` is the revision the editor read:
    if the text changed since, the approval is refused (they must read the new text).

    Text with error-severity check findings is approved only with `despite_errors` (the editor
    confirmed); the override is kept on the entry and in its history, naming the checks.
    """
    require_reviewer(user, entry)
    entry = _locked(entry)
    current = text_current(entry.paper)
    if current is None:
        raise ReviewError(_("%(arxiv_id)s has no text to approve yet."), code="no_text",
                          params={"arxiv_id": entry.paper.arxiv_id})
    if seen_revision is not None and seen_revision != current.number:
        raise TextChangedSinceRead(entry=entry, current=current, seen_revision=seen_revision)
    errors = errors_in(findings_of(current, digest=entry.digest))  # as the entry's review page shows them
    if errors and not despite_errors:
        raise CheckErrorsNotConfirmed(entry=entry, errors=errors)
    _move(entry, Entry.State.APPROVED, approved_by=user, approved_at=timezone.now(), approved_revision=current,
          approved_despite_checks=list(dict.fromkeys(finding["check"] for finding in errors)))
    # What an editor approved teaches the memory: later drafts reuse these segments. A segment the
    # overridden errors touch is held until an editor confirms it (the approval meant this entry only).
    memory_store_revision(paper=entry.paper, revision=current, overridden=errors)
    # Approving again after a newer arXiv version came is the editor's answer to it.
    source_changes_resolve(entry=entry, user=user, how="approved")
    message = f"Approved revision {current.number}"
    if errors:
        message += f" despite check errors: {', '.join(entry.approved_despite_checks)}"
    audit_log(user=user, obj=entry, message=message)
    # What editors changed in the machine's terms teaches the glossary (suggested terms).
    corrections_record(paper=entry.paper, revision=current)
    return entry


@transaction.atomic
def entry_reject(*, entry: Entry, user, note: str = "") -> Entry:
    require_reviewer(user, entry)
    entry = _locked(entry)
    _move(entry, Entry.State.REJECTED, **_approval_cleared(), **({"editor_note": note} if note else {}))
    audit_log(user=user, obj=entry, message=f"Rejected{': ' + note if note else ''}")
    return entry


@transaction.atomic
def entry_reopen(*, entry: Entry, user) -> Entry:
    require_reviewer(user, entry)
    entry = _locked(entry)
    _move(entry, Entry.State.IN_REVIEW, **_approval_cleared())
    audit_log(user=user, obj=entry, message="Reopened for review")
    return entry


@transaction.atomic
def entry_note_set(*, entry: Entry, user, note: str) -> Entry:
    """Set the note editors leave on an entry for each other; setting the same note again changes nothing."""
    require_editor(user, entry)
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
    require_editor(user, entry)
    old = entry.paper.revisions.filter(number=number).first()
    if old is None:
        raise ReviewError(_("%(arxiv_id)s has no revision %(number)d."), code="no_such_revision",
                          params={"arxiv_id": entry.paper.arxiv_id, "number": number})
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
            audit_log(user=revision.author, obj=entry, message=f"In review: text arrived (revision {revision.number})")
        elif entry.state == Entry.State.APPROVED and entry.approved_revision_id != revision.pk:
            _move(entry, Entry.State.IN_REVIEW, **_approval_cleared())
            audit_log(user=revision.author, obj=entry,
                      message=f"Back to review: revision {revision.number} changed the approved text")
