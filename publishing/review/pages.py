"""What each review page shows, read in one place: the entry's review page, its revision history and
a day's review page.

Selectors: plain functions over the database returning frozen dataclasses, no request in sight.
A view adds what depends on the request (the admin's own context, the user's permissions, the
forms) and renders; each field of a page is a name its template reads (`page_context`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from papers.models import Paper
from publishing.models import DayTransition, DigestDay, Entry, Publication, ScheduledPublication
from publishing.posts.preview import PaperChange, unpublished_changes
from publishing.posts.rendering import render_markdown_safely
from publishing.posts.scheduling import scheduled_publication_problem, scheduled_publications_needing_attention
from publishing.review.check_display import ShownFinding, findings_shown, severity_counts
from publishing.review.forms import text_label
from publishing.review.source_changes import SourceChangeView, newer_versions_of, source_changes_shown
from publishing.review.wording import joined, labels_of, when_shown
from translations.checks import ERROR
from translations.diffing import diff_html
from translations.memory import SegmentSuggestions, memory_lookup_segments, memory_suggestions
from translations.models import MachineDraft, Revision
from translations.quality import findings_of, paper_term_rules
from translations.revisions import DraftOffer, StaleEdit, draft_offer, revision_note, text_current
from translations.terminology import TermRule

# The sections the review page previews as readers will read them (markdown rendered).
PREVIEWED_SECTIONS = ("background_md", "method_md", "results_md")


def page_context(page) -> dict[str, object]:
    """A page's fields as template context; shallow, so rows and model objects stay what they are."""
    return {field.name: getattr(page, field.name) for field in fields(page)}


@dataclass(frozen=True)
class PersonChange:
    """One revision a person saved, restored or adopted, as the review page lists it."""

    number: int
    who: str
    time: str  # in the site's time zone
    labels: str  # the sections it changed
    how: str  # "" for a plain save


@dataclass(frozen=True)
class PanelTerm:
    """One glossary term the paper's English uses, as the review page's glossary panel shows it."""

    source: str
    keep_english: bool  # the English stays as it is: no rendering
    rendering: str
    forbidden: tuple[str, ...]
    variants: tuple[str, ...]
    note: str
    in_text: bool  # the current Chinese text has the rendering (or, kept English, the source)
    term_id: int | None  # the GlossaryTerm row, for a link to it


def _glossary_panel(paper: Paper, current: Revision | None, digest=None) -> list[PanelTerm]:
    """The glossary terms the paper's English uses (as the checks find them, with the entry's digest's
    glossary), in alphabetical order."""
    chinese = "\n".join(current.text().values()).lower() if current else ""
    rules = paper_term_rules(paper, digest=digest)
    return [_panel_term(rule, chinese) for rule in sorted(rules, key=lambda rule: rule.source.lower())]


def _panel_term(rule: TermRule, chinese: str) -> PanelTerm:
    keep_english = rule.kind == TermRule.KEEP_ENGLISH
    expected = rule.source if keep_english else rule.rendering
    return PanelTerm(source=rule.source, keep_english=keep_english, rendering=rule.rendering,
                     forbidden=rule.forbidden, variants=rule.variants, note=rule.note,
                     in_text=bool(expected) and expected.lower() in chinese, term_id=rule.term_id)


@dataclass(frozen=True)
class PaperInDigest:
    """One digest the paper is in, as the review page lists it: its entry there and the entry's state."""

    digest_name: str
    date: str
    state: str
    entry_id: int | None  # None for a digest the user does not see (named, not linked)
    this_entry: bool
    approved_current: bool  # its approval is of the paper's current text


def _paper_in_digests(entry: Entry, current: Revision | None, seen_digest_ids: set[int] | None) -> list[PaperInDigest]:
    """Every entry of the paper (one per digest that holds it), this one first."""
    entries = Entry.objects.filter(paper_id=entry.paper_id).select_related("digest", "day").order_by("digest__position",
                                                                                                    "digest_id")
    shown = [
        PaperInDigest(
            digest_name=other.digest.name, date=f"{other.day.date:%Y-%m-%d}", state=other.get_state_display(),
            entry_id=other.pk if seen_digest_ids is None or other.digest_id in seen_digest_ids else None,
            this_entry=other.pk == entry.pk,
            approved_current=(other.state == Entry.State.APPROVED and current is not None
                              and other.approved_revision_id == current.pk),
        )
        for other in entries
    ]
    return sorted(shown, key=lambda item: not item.this_entry)


@dataclass(frozen=True)
class EntryReviewPage:
    title: str
    entry: Entry
    paper: Paper
    current: Revision | None  # the text the form opens on; None before any text
    findings: list[ShownFinding]  # the checks' findings on `current`, errors first
    has_errors: bool  # approving then needs the editor's confirmation
    latest_draft: MachineDraft | None  # whatever its status (a failed one says why)
    offer: DraftOffer | None  # what a newer successful draft may bring
    offered_sections: list[tuple[str, str, SafeString]]  # (field, label, diff from the current text)
    kept_sections: list[str]  # why a section of the newer draft is not offered
    people_changes: list[PersonChange]  # oldest first
    stale_diffs: list[tuple[str, SafeString]]  # after a refused stale save: what the other editor changed
    previews: list[tuple[str, str]]  # (label, the section's markdown as sanitised HTML)
    next_entry: Entry | None  # the day's next entry still to review
    memory_suggestions: list[SegmentSuggestions]
    memory_note: str  # what the lookup's caps left out of a very long abstract, or ""
    source_changes: list[SourceChangeView]  # open marks of newer arXiv versions
    glossary_terms: list[PanelTerm]  # the glossary terms the paper's English uses
    # The digests the paper is in (the text is the newsroom's, shared by all of them), and the other
    # digests whose approval is of the current text: the editor may approve knowing it was read there.
    in_digests: list[PaperInDigest]
    approved_elsewhere: list[str]


def entry_review_page(*, entry: Entry, stale: StaleEdit | None = None,
                      seen_digest_ids: set[int] | None = None) -> EntryReviewPage:
    """The review page of `entry`; `stale` is a save just refused, whose other editor's changes it shows;
    `seen_digest_ids` the digests the reader sees (None: every one), whose entries of the paper are linked."""
    current = text_current(entry.paper)
    in_digests = _paper_in_digests(entry, current, seen_digest_ids)
    findings = findings_shown(findings_of(current, digest=entry.digest), current.text()) if current else []
    offer = draft_offer(draft=entry.paper.machine_drafts.succeeded().newest(), current=current)
    return EntryReviewPage(
        title=_("Review %(arxiv_id)s") % {"arxiv_id": entry.paper.versioned_id},
        entry=entry,
        paper=entry.paper,
        current=current,
        findings=findings,
        has_errors=any(finding.severity == ERROR for finding in findings),
        latest_draft=entry.paper.machine_drafts.newest(),
        offer=offer,
        offered_sections=_offered_sections(offer, current),
        kept_sections=_kept_sections(offer),
        people_changes=_people_changes(current),
        stale_diffs=_stale_diffs(stale),
        previews=[(text_label(name), render_markdown_safely(getattr(current, name))) for name in PREVIEWED_SECTIONS]
        if current else [],
        next_entry=entry.day.entries.next_to_review(after=entry),
        memory_suggestions=memory_suggestions(entry.paper),
        memory_note=memory_lookup_segments(entry.paper).note,
        source_changes=source_changes_shown(entry),
        glossary_terms=_glossary_panel(entry.paper, current, entry.digest),
        in_digests=in_digests,
        approved_elsewhere=[item.digest_name for item in in_digests if item.approved_current and not item.this_entry],
    )


def _offered_sections(offer: DraftOffer | None, current: Revision | None) -> list[tuple[str, str, SafeString]]:
    if offer is None:
        return []
    replacing = _("replaces what people wrote for an earlier arXiv version (kept in the revisions)")
    return [(name, f"{text_label(name)} · {replacing}" if name in offer.replacing else text_label(name),
             diff_html(getattr(current, name), getattr(offer.draft, name)))
            for name in offer.sections]


def _kept_sections(offer: DraftOffer | None) -> list[str]:
    """'Label: edited by X since the draft' for each section where the newer draft differs from what people wrote."""
    if offer is None:
        return []
    return [
        _("%(label)s: edited by %(people)s since the machine draft; not offered.") % {
            "label": text_label(name),
            "people": joined(dict.fromkeys(revision.author.get_username() for revision in revisions)),
        }
        for name, revisions in offer.kept.items()
    ]


def _people_changes(current: Revision | None) -> list[PersonChange]:
    """Who changed what since the machine text: each revision up to `current` that a person saved, restored or adopted."""
    if current is None:
        return []
    revisions = (current.paper.revisions.filter(number__lte=current.number, author__isnull=False)
                 .select_related("author", "restored_from").defer(*Revision.TEXT_FIELDS).order_by("number"))
    return [PersonChange(number=revision.number, who=revision.author.get_username(), time=when_shown(revision.created_at),
                         labels=labels_of(revision.changed_fields), how=_how_made(revision))
            for revision in revisions]


def _how_made(revision: Revision) -> str:
    if revision.from_draft_id:
        return _("adopted from machine draft #%(id)d") % {"id": revision.from_draft_id}
    if revision.restored_from_id:
        return _("restored revision %(number)d") % {"number": revision.restored_from.number}
    return ""


def _stale_diffs(stale: StaleEdit | None) -> list[tuple[str, SafeString]]:
    if stale is None or not stale.base_number:  # opened before any text: the whole text is the other's
        return []
    return _diffs(stale.current.paper.revisions.get(number=stale.base_number), stale.current)


def _diffs(old, new) -> list[tuple[str, SafeString]]:
    """(label, diff) for each text section that differs between two versions (revisions or drafts)."""
    return [
        (text_label(name), diff_html(getattr(old, name), getattr(new, name)))
        for name in Revision.TEXT_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]


@dataclass(frozen=True)
class EntryRevisionsPage:
    title: str
    entry: Entry
    # Newest first; each carries `changed_labels` (its sections' labels) and `note` (what the system did).
    revisions: list[Revision]
    drafts: list[MachineDraft]  # the successful machine drafts, newest first
    a_key: str  # the versions compared ("r3": revision 3, "d12": machine draft 12; "" none)
    b_key: str
    diffs: list[tuple[str, SafeString]]
    compared: bool  # both keys name a version of this paper
    base_revision: int  # the newest revision's number: a restore goes on top of it
    review_url: str


def entry_revisions_page(*, entry: Entry, a_key: str | None = None, b_key: str | None = None) -> EntryRevisionsPage:
    """The history of `entry`'s text, comparing versions `a_key` and `b_key`.

    A key left None is chosen here: A the first machine draft, B the newest revision. A key that
    names no version of the paper ("" or one it lacks) compares nothing.
    """
    revisions = _revisions_listed(entry)
    first_draft_key, newest_key = _keys_by_default(revisions)
    a_key = first_draft_key if a_key is None else a_key
    b_key = newest_key if b_key is None else b_key
    a, b = _version(entry, a_key), _version(entry, b_key)
    return EntryRevisionsPage(
        title=_("Revisions of %(arxiv_id)s") % {"arxiv_id": entry.paper.arxiv_id},
        entry=entry,
        revisions=revisions,
        drafts=list(entry.paper.machine_drafts.succeeded().order_by("-id")),
        a_key=a_key,
        b_key=b_key,
        diffs=_diffs(a, b) if a and b else [],
        compared=bool(a and b),
        base_revision=revisions[0].number if revisions else 0,
        review_url=reverse("admin:publishing_entry_review", args=[entry.pk]),
    )


def _revisions_listed(entry: Entry) -> list[Revision]:
    revisions = list(entry.paper.revisions.select_related("author", "from_draft", "restored_from").order_by("-number"))
    for revision in revisions:
        revision.changed_labels = [str(text_label(name)) for name in revision.changed_fields]
        revision.note = revision_note(revision)
    return revisions


def _keys_by_default(revisions: list[Revision]) -> tuple[str, str]:
    """The first machine draft (where the first revision came from) and the newest revision ("" for none)."""
    if not revisions:
        return "", ""
    first_draft = revisions[-1].from_draft_id
    return (f"d{first_draft}" if first_draft else ""), f"r{revisions[0].number}"


def _version(entry: Entry, key: str) -> Revision | MachineDraft | None:
    """`r3` is revision 3 of the entry's paper; `d12` is machine draft 12 of that paper (keys checked by the form)."""
    if not key:
        return None
    kind, number = key[:1], int(key[1:])
    if kind == "r":
        return entry.paper.revisions.filter(number=number).first()
    return entry.paper.machine_drafts.filter(pk=number).first()


@dataclass(frozen=True)
class DayEntryRow:
    """One entry of the day's review page."""

    entry: Entry
    revision: int | None  # the current text's number, posted back as the revision the editor saw
    title_zh: str  # the current text's Chinese title; "" before any text
    checks: dict[str, int] | None  # findings per severity; None when the text was never checked
    draft: MachineDraft | None  # the paper's newest machine draft, whatever its status


@dataclass(frozen=True)
class DayReviewPage:
    title: str
    day: DigestDay
    rows: list[DayEntryRow]  # in the day's order
    publications: list[Publication]  # newest version first
    not_reviewed: int
    approved: int
    unpublished_changes: list[PaperChange]  # approved changes readers do not see yet (removals aside)
    newer_versions: dict[str, list[Entry]]  # entries with a newer arXiv version: "published" and "approved"
    flag_history: list[DayTransition]  # the day's flags and their clearing, newest first
    scheduled: list[ScheduledPublication]  # pending orders to publish the day, soonest first
    scheduled_problems: list[str]  # overdue or failed orders, one line each, for the chief editor


def day_review_page(*, day: DigestDay) -> DayReviewPage:
    """The review page of `day`: its entries in order, with their text's state, checks and draft."""
    rows = _day_rows(day)
    return DayReviewPage(
        title=_("Review %(day)s") % {"day": day},
        day=day,
        rows=rows,
        publications=list(day.publications.defer("markdown", "html").order_by("-version")),
        not_reviewed=sum(1 for row in rows if row.entry.state in Entry.NOT_REVIEWED),
        approved=sum(1 for row in rows if row.entry.state == Entry.State.APPROVED),
        unpublished_changes=[change for change in unpublished_changes(day=day) if change.kind != "removed"],
        newer_versions=newer_versions_of(day),
        flag_history=list(day.transitions.flags()),
        scheduled=list(day.scheduled_publications.filter(status=ScheduledPublication.Status.PENDING)
                       .order_by("publish_at")),
        scheduled_problems=[scheduled_publication_problem(scheduled)
                            for scheduled in scheduled_publications_needing_attention().filter(day=day)],
    )


def _day_rows(day: DigestDay) -> list[DayEntryRow]:
    """The day's entries in order; the current revisions and drafts read in one query each, not one per entry."""
    current_revisions = {
        paper_id: (number, checks, title_zh)
        for paper_id, number, checks, title_zh in Revision.objects.filter(paper__digest_entries__day=day)
        .latest_per_paper().values_list("paper_id", "number", "checks", "title_zh")
    }
    latest_drafts = {
        draft.paper_id: draft
        for draft in MachineDraft.objects.filter(paper__digest_entries__day=day).latest_per_paper()
    }
    rows = []
    for entry in day.entries.select_related("paper", "approved_by").order_by("position"):
        number, checks, title_zh = current_revisions.get(entry.paper_id, (None, None, ""))
        rows.append(DayEntryRow(entry=entry, revision=number, title_zh=title_zh, checks=severity_counts(checks),
                                draft=latest_drafts.get(entry.paper_id)))
    return rows
