"""A paper's Chinese text as a chain of revisions: start from a machine draft, save, restore, adopt.

Nothing here overwrites: every change adds a revision. A save names the revision its
form was opened on; if another revision came since, the save is refused (StaleEdit)
with what the other editor changed, and nothing is written. A newer machine draft
brings only sections no person has changed since they were last copied from a draft.
"""

from __future__ import annotations

from dataclasses import dataclass

import django.dispatch
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, pgettext

from papers.models import Paper
from translations.models import MachineDraft, Revision
from translations.quality import text_findings

# Sent after a revision was saved (committed); `revision` is the new Revision.
revision_saved = django.dispatch.Signal()


class StaleEdit(Exception):
    """A form was opened on revision `base_number`, but `current` (a newer revision) exists;
    `changed` lists the text fields changed since, in form order.

    Data for the page that refused the edit, which words it for the editor (their language,
    the site's time zone, the fields' labels); str() is a plain note for logs and the shell.
    """

    def __init__(self, *, current: Revision, base_number: int) -> None:
        self.current = current
        self.base_number = base_number
        self.changed = text_changed_since(paper=current.paper, number=base_number)
        who = current.author.get_username() if current.author else "the machine draft"
        super().__init__(f"{who} saved revision {current.number} after revision {base_number} was opened")


class SectionsEditedByPeople(Exception):
    """Adopting a machine draft's sections was refused: people changed them since they were last
    copied from a draft. `edits` maps each such section to those people's revisions, newest first."""

    def __init__(self, *, edits: dict[str, tuple[Revision, ...]]) -> None:
        self.edits = edits
        super().__init__(f"people changed {', '.join(edits)} since the machine draft; not adopted")


@dataclass(frozen=True)
class SectionHistory:
    """How one section of the current text came to read as it does."""

    # The machine draft the section was last copied from (0: none recorded).
    draft_id: int
    # People's saves and restores that changed the section since that copy, newest first.
    person_edits: tuple[Revision, ...]


@dataclass(frozen=True)
class DraftOffer:
    """What a machine draft newer than the text may bring to it, section by section."""

    draft: MachineDraft
    # Sections where the draft differs and no person changed the text since its own draft: offered.
    sections: list[str]
    # Sections where the draft differs but people changed the text since: kept, never offered.
    kept: dict[str, tuple[Revision, ...]]
    # Offered sections that replace people's text written for an older arXiv version (shown as such).
    replacing: tuple[str, ...] = ()


def _written_for_older_version(draft: MachineDraft, history: dict[str, SectionHistory]) -> set[str]:
    """Sections people edited whose text began from a draft of an older arXiv version than `draft`'s.

    Their words translate English that arXiv has since replaced: a draft of the new version may be
    offered for them (the editor chooses; the old text stays a revision, restorable).
    """
    began = {history[name].draft_id for name in history if history[name].person_edits and history[name].draft_id}
    versions = dict(MachineDraft.objects.filter(pk__in=began).values_list("pk", "paper_version"))
    return {name for name, entry in history.items()
            if entry.person_edits and versions.get(entry.draft_id, draft.paper_version) < draft.paper_version}


def text_changed_since(*, paper: Paper, number: int) -> list[str]:
    """The text fields the revisions after `number` changed, in form order."""
    changed = {
        name for fields in paper.revisions.filter(number__gt=number).values_list("changed_fields", flat=True)
        for name in fields
    }
    return [name for name in Revision.TEXT_FIELDS if name in changed]


def text_section_history(current: Revision) -> dict[str, SectionHistory]:
    """For each text section of `current`, the draft it was last copied from and people's edits since.

    Steps, per section, walking the paper's revisions back from `current`, newest first:
    1. a revision that copied the section from a machine draft (`from_draft` set and the section
       among its changed fields: the first text, or an adoption) ends the walk with that draft;
    2. a person's save or restore that changed the section is recorded, and the walk goes on;
    3. a revision without author or draft (machine text of unrecorded origin) ends the walk;
    4. the first revision ends every walk still open: the whole text began there.
    """
    draft_ids = dict.fromkeys(Revision.TEXT_FIELDS, 0)
    edits: dict[str, list[Revision]] = {name: [] for name in Revision.TEXT_FIELDS}
    walking = set(Revision.TEXT_FIELDS)
    revisions = (
        current.paper.revisions.filter(number__lte=current.number).select_related("author").order_by("-number")
        .defer(*Revision.TEXT_FIELDS)
    )
    for revision in revisions:
        changed = walking if revision.number == 1 else walking & set(revision.changed_fields)
        for name in list(changed):
            if revision.from_draft_id is not None:
                draft_ids[name] = revision.from_draft_id
                walking.discard(name)
            elif revision.author_id is not None:
                edits[name].append(revision)
            else:
                walking.discard(name)
        if revision.number == 1 or not walking:
            break
    return {name: SectionHistory(draft_id=draft_ids[name], person_edits=tuple(edits[name])) for name in Revision.TEXT_FIELDS}


def draft_offer(*, draft: MachineDraft | None, current: Revision | None) -> DraftOffer | None:
    """The sections of `draft` newer than the current text's, where they differ from it; None when there are none.

    A section is offered only when the draft is newer (higher id) than the one the section was
    last copied from and no person changed it since: adopting it then never undoes an editor's work.
    """
    if draft is None or current is None or draft.status != MachineDraft.Status.SUCCEEDED:
        return None
    history = text_section_history(current)
    older = _written_for_older_version(draft, history)
    sections, kept = [], {}
    for name in Revision.TEXT_FIELDS:
        proposed = getattr(draft, name)
        if not proposed or proposed == getattr(current, name) or draft.pk <= history[name].draft_id:
            continue
        if history[name].person_edits and name not in older:
            kept[name] = history[name].person_edits
        else:
            sections.append(name)
    if not sections and not kept:
        return None
    return DraftOffer(draft=draft, sections=sections, kept=kept,
                      replacing=tuple(name for name in sections if name in older))


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

    The named quality checks run on the new text and their findings are stored with it.
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
            if from_draft is not None and from_draft.checks is not None and new_text == from_draft.text():
                checks = from_draft.checks  # the draft's own words: its findings hold
            else:
                checks = text_findings(paper=paper, text=new_text)
            revision = Revision.objects.create(
                paper=paper,
                number=current_number + 1,
                author=author,
                changed_fields=changed,
                comment=comment[:500],
                from_draft=from_draft,
                restored_from=restored_from,
                checks=checks,
                **new_text,
            )
    except IntegrityError:
        raise StaleEdit(current=text_current(paper), base_number=base_number) from None
    transaction.on_commit(lambda: revision_saved.send(sender=Revision, revision=revision))
    return revision


def text_start_from_draft(*, draft: MachineDraft) -> Revision | None:
    """Give a paper its first text from a successful machine draft; a paper with text is left alone
    (revision_save refuses revision 1 of a paper that has one: StaleEdit)."""
    if draft.status != MachineDraft.Status.SUCCEEDED:
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
    """Take chosen sections of a (newer) machine draft into the text, as a new revision.

    Refused (SectionsEditedByPeople) for a section a person changed since it was last copied
    from a draft: a machine never overwrites what a person wrote, however the request was made;
    unless that text was written for an older arXiv version than the draft's (the editor's choice
    to take a draft of the new English; the old text stays a revision).
    """
    with transaction.atomic():
        # Locked first: the sections are judged on exactly the revision the new one is saved on.
        current = draft.paper.revisions.select_for_update().order_by("-number").first()
        if current is not None and current.number != base_number:
            raise StaleEdit(current=current, base_number=base_number)
        if current is not None:
            history = text_section_history(current)
            older = _written_for_older_version(draft, history)
            edited = {name: history[name].person_edits for name in fields
                      if history[name].person_edits and name not in older}
            if edited:
                raise SectionsEditedByPeople(edits=edited)
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
