"""A paper's Chinese text as a chain of revisions: start from a machine draft, save, restore, adopt.

Nothing here overwrites: every change adds a revision. A save names the revision its
form was opened on; if another revision came since, the save is refused (StaleEdit)
with what the other editor changed, and nothing is written.
"""

from __future__ import annotations

import django.dispatch
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, pgettext

from papers.models import Paper
from translations.models import MachineDraft, Revision

# Sent after a revision was saved (committed); `revision` is the new Revision.
revision_saved = django.dispatch.Signal()


class StaleEdit(Exception):
    """The form was opened on an older revision; `current` is the newer one, `changed` what it changed."""

    def __init__(self, *, current: Revision, base_number: int) -> None:
        self.current = current
        self.base_number = base_number
        newer = current.paper.revisions.filter(number__gt=base_number).order_by("number")
        self.changed = sorted({name for revision in newer for name in revision.changed_fields})
        who = current.author.get_username() if current.author else "the machine draft"
        super().__init__(
            f"Not saved: {who} saved revision {current.number} at {current.created_at:%Y-%m-%d %H:%M} after you opened "
            f"revision {base_number}, changing {', '.join(self.changed) or 'nothing'}. Your text is kept in the form; "
            "compare and save again."
        )


def text_current(paper: Paper) -> Revision | None:
    return paper.revisions.order_by("-number").first()


def revision_save(
    *,
    paper: Paper,
    author,
    text: dict[str, str],
    base_number: int,
    comment: str = "",
    from_draft: MachineDraft | None = None,
    restored_from: Revision | None = None,
) -> Revision | None:
    """Save `text` (any of Revision.TEXT_FIELDS) as a new revision on top of `base_number`.

    Returns the new revision, or None when nothing changed. Raises StaleEdit when a
    revision newer than `base_number` exists (also when one is being saved at this instant:
    the unique (paper, number) constraint decides).
    """
    unknown = set(text) - set(Revision.TEXT_FIELDS)
    if unknown:
        raise ValueError(f"not text fields of a revision: {', '.join(sorted(unknown))}")
    try:
        with transaction.atomic():
            current = paper.revisions.select_for_update().order_by("-number").first()
            current_number = current.number if current else 0
            if base_number != current_number:
                raise StaleEdit(current=current, base_number=base_number)
            old = current.text() if current else dict.fromkeys(Revision.TEXT_FIELDS, "")
            new_text = {name: text.get(name, old[name]) for name in Revision.TEXT_FIELDS}
            changed = [name for name in Revision.TEXT_FIELDS if new_text[name] != old[name]]
            if not changed:
                return None
            revision = Revision.objects.create(
                paper=paper,
                number=current_number + 1,
                author=author,
                changed_fields=changed,
                comment=comment[:500],
                from_draft=from_draft,
                restored_from=restored_from,
                **new_text,
            )
    except IntegrityError:
        raise StaleEdit(current=text_current(paper), base_number=base_number) from None
    transaction.on_commit(lambda: revision_saved.send(sender=Revision, revision=revision))
    return revision


def text_start_from_draft(*, draft: MachineDraft) -> Revision | None:
    """Give a paper its first text from a successful machine draft; a paper with text is left alone."""
    if draft.status != MachineDraft.Status.SUCCEEDED or draft.paper.revisions.exists():
        return None
    try:
        return revision_save(
            paper=draft.paper,
            author=None,
            text=draft.text(),
            base_number=0,
            from_draft=draft,
        )
    except StaleEdit:  # another worker or an editor got there first: their text stands
        return None


def revision_restore(*, revision: Revision, author, base_number: int) -> Revision | None:
    """Make an old revision's text current again, as a new revision."""
    return revision_save(
        paper=revision.paper,
        author=author,
        text=revision.text(),
        base_number=base_number,
        restored_from=revision,
    )


def revision_adopt_from_draft(*, draft: MachineDraft, fields: list[str], author, base_number: int) -> Revision | None:
    """Take chosen sections of a (newer) machine draft into the text, as a new revision."""
    return revision_save(
        paper=draft.paper,
        author=author,
        text={name: getattr(draft, name) for name in fields},
        base_number=base_number,
        from_draft=draft,
    )


def revision_note(revision: Revision) -> str:
    """What the system did to make this revision, in the active language ("" for an editor's own save).

    Not stored: it is read from `from_draft` and `restored_from`, so it follows the reader's
    language; `comment` holds only what the editor wrote. The first text has no author.
    """
    if revision.restored_from_id:
        return gettext("restored revision %(number)d") % {"number": revision.restored_from.number}
    if revision.from_draft_id and revision.author_id is None:
        return gettext("machine draft #%(number)d") % {"number": revision.from_draft_id}
    if revision.from_draft_id:
        labels = [str(Revision._meta.get_field(name).verbose_name) for name in revision.changed_fields]
        return gettext("adopted %(fields)s from machine draft #%(number)d") % {
            "fields": pgettext("list separator", ", ").join(labels),
            "number": revision.from_draft_id,
        }
    return ""
