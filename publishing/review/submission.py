"""What the editors' review pages post, as use cases: the entry page's form (its text and note saved,
then approved, rejected or reopened) in one transaction; a section adopted from a newer machine
draft; and the day page's approval or rejection of the ticked entries.

They call the services that own each change (translations.revisions for the text,
publishing.review.services for the entry's state and note), which check and log it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from publishing.models import Entry
from publishing.review.services import (
    CheckErrorsNotConfirmed,
    ReviewError,
    entries_follow_text,
    entry_approve,
    entry_note_set,
    entry_reject,
    entry_reopen,
    require_editor,
)
from translations.models import Revision
from translations.revisions import revision_adopt_from_draft, revision_save


class ReviewStep(enum.Enum):
    """What the entry page's form does once its text and note are saved (the button the editor pressed)."""

    SAVE = "save"  # nothing more ("Save", "Save and next")
    APPROVE = "approve"  # "Save and approve"
    REJECT = "reject"
    REOPEN = "reopen"  # an approved or rejected entry goes back to review


@dataclass(frozen=True)
class ReviewSubmission:
    entry: Entry  # as the submission left it
    revision: Revision | None  # the revision saved; None when the text was unchanged
    # "Save and approve" of text with check errors the editor did not confirm: the text and note are
    # kept, the entry is not approved (the page shows the saved text's findings and the confirmation box).
    unconfirmed: CheckErrorsNotConfirmed | None = None


@transaction.atomic
def entry_review_submit(
    *,
    entry: Entry,
    user,
    text: dict[str, str],
    base_number: int,
    note: str,
    comment: str = "",
    step: ReviewStep = ReviewStep.SAVE,
    despite_errors: bool = False,
) -> ReviewSubmission:
    """Save the entry page's form as one change: all of it, or (on a refusal) nothing.

    Steps:
    1. save `text` as a new revision on top of `base_number` (when it changed); StaleEdit if
       another revision came since;
    2. let the paper's entries follow the new text now (an approved entry whose text changed goes
       back to review), as the `revision_saved` receiver would after the commit, so that step 4
       judges the state the entry is really in (the receiver then finds nothing left to do);
    3. set the editor note;
    4. approve (the text just saved, or the one the form was opened on), reject or reopen.

    A refusal (ReviewError: a move the state does not allow, no text to approve) or any error
    undoes steps 1–3. Check errors the editor did not confirm are not such a refusal: the text
    was their work and stays, so the page can show its findings; they come back in `unconfirmed`.
    """
    require_editor(user, entry)
    revision = revision_save(paper=entry.paper, author=user, text=text, base_number=base_number, comment=comment)
    if revision is not None:
        entries_follow_text(revision=revision)
    entry = entry_note_set(entry=entry, user=user, note=note)
    try:
        entry = _step_taken(entry=entry, user=user, step=step, note=note, despite_errors=despite_errors,
                            seen_revision=revision.number if revision else base_number)
    except CheckErrorsNotConfirmed as refused:
        return ReviewSubmission(entry=entry, revision=revision, unconfirmed=refused)
    return ReviewSubmission(entry=entry, revision=revision)


def _step_taken(*, entry: Entry, user, step: ReviewStep, note: str, seen_revision: int, despite_errors: bool) -> Entry:
    if step is ReviewStep.APPROVE:
        return entry_approve(entry=entry, user=user, seen_revision=seen_revision, despite_errors=despite_errors)
    if step is ReviewStep.REJECT:
        return entry_reject(entry=entry, user=user, note=note)
    if step is ReviewStep.REOPEN:
        return entry_reopen(entry=entry, user=user)
    return entry


@transaction.atomic
def entry_section_adopt(*, entry: Entry, user, section: str, base_number: int) -> Revision | None:
    """Take one section of the paper's newest successful machine draft into its text, as a new revision
    on top of `base_number` (None when it already reads so).

    ReviewError when the paper has no such draft; StaleEdit and SectionsEditedByPeople from the adoption.
    """
    require_editor(user, entry)
    draft = entry.paper.machine_drafts.succeeded().newest()
    if draft is None:
        raise ReviewError(_("There is no machine draft to adopt a section from."), code="no_draft")
    return revision_adopt_from_draft(draft=draft, fields=[section], author=user, base_number=base_number)


@dataclass(frozen=True)
class EntriesDecided:
    done: int
    refused: list[ReviewError]  # in the entries' order


def entries_decide(
    *,
    entries: Iterable[Entry],
    user,
    approve: bool,
    seen: Mapping[int, int | None],
    despite_errors: bool = False,
) -> EntriesDecided:
    """Approve (or reject) each of `entries`; `seen` maps an entry's id to the revision the editor saw.

    Each entry in its own transaction, on purpose: one refused (moved meanwhile, text changed since
    the editor saw it, check errors not confirmed) leaves the others done, and each refusal is told.
    """
    done, refused = 0, []
    for entry in entries:
        try:
            if approve:
                entry_approve(entry=entry, user=user, seen_revision=seen.get(entry.pk), despite_errors=despite_errors)
            else:
                entry_reject(entry=entry, user=user)
        except ReviewError as exc:
            refused.append(exc)
        else:
            done += 1
    return EntriesDecided(done=done, refused=refused)
