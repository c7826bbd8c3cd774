"""The editors' pages in the admin: review one entry (edit, save, approve), its revision history,
a day's entries (bulk approve / reject, publish), and the post-editing figures.

Thin views: publishing.review.forms checks what was posted; the views call
publishing.review.services / translations.revisions and present the outcome.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from publishing.days.services import DayStateError, day_acknowledge_attention
from publishing.models import DigestDay, Entry
from publishing.permissions import PUBLISH_DAY, REVIEW_ENTRY, VIEW_ENTRY
from publishing.posts.preview import unpublished_changes
from publishing.posts.rendering import render_markdown_safely
from publishing.review.check_display import findings_shown, severity_counts
from publishing.review.figures import post_editing_by_check, post_editing_by_day, post_editing_by_model
from publishing.review.forms import (
    DayAcknowledgeForm,
    DayReviewActionForm,
    EntryTextForm,
    RevisionCompareForm,
    RevisionRestoreForm,
    text_label,
)
from publishing.review.services import (
    CheckErrorsNotConfirmed,
    ReviewError,
    TextChangedSinceRead,
    entry_approve,
    entry_note_set,
    entry_reject,
    entry_reopen,
    entry_text_restore,
)
from publishing.review.source_changes import (
    SourceChangeError,
    newer_versions_of,
    source_changes_dismiss,
    source_changes_shown,
)
from translations.checks import ERROR
from translations.diffing import diff_html
from translations.llm import LLMError
from translations.memory import memory_suggestions
from translations.models import MachineDraft, Revision
from translations.quality import findings_of
from translations.revisions import (
    DraftOffer,
    SectionsEditedByPeople,
    StaleEdit,
    draft_offer,
    revision_adopt_from_draft,
    revision_note,
    revision_save,
    text_current,
)
from translations.services import papers_draft_again


# The words editors read about who changed what: their language, the site's time zone, the fields' labels.
def _who(revision: Revision) -> str:
    return revision.author.get_username() if revision.author else _("the machine draft")


def _when(moment) -> str:
    return date_format(localtime(moment), "Y-m-d H:i")


def _joined(words) -> str:
    return pgettext("list separator", ", ").join(str(word) for word in words)


def _labels(names) -> str:
    return _joined(text_label(name) for name in names) or _("nothing")


def _changes_since(current: Revision, base_number: int, changed: list[str]) -> dict[str, object]:
    return {"who": _who(current), "time": _when(current.created_at), "number": current.number, "base": base_number,
            "labels": _labels(changed)}


def _stale_save_message(stale: StaleEdit) -> str:
    return _(
        "Not saved: %(who)s saved revision %(number)d at %(time)s (you opened revision %(base)d), changing: "
        "%(labels)s. Your text is still in the form; compare and save again."
    ) % _changes_since(stale.current, stale.base_number, stale.changed)


def _stale_restore_message(stale: StaleEdit) -> str:
    return _(
        "Not restored: %(who)s saved revision %(number)d at %(time)s (you opened revision %(base)d), changing: "
        "%(labels)s. Look at the history again before restoring."
    ) % _changes_since(stale.current, stale.base_number, stale.changed)


def _review_error_message(error: ReviewError) -> str:
    if isinstance(error, TextChangedSinceRead):
        return _(
            "Not approved %(arxiv_id)s: %(who)s saved revision %(number)d at %(time)s (you read revision %(base)d), "
            "changing: %(labels)s. Read it again before approving."
        ) % {"arxiv_id": error.params["arxiv_id"], **_changes_since(error.current, error.seen_revision, error.changed)}
    return str(error)


def _people_edits_message(refused: SectionsEditedByPeople) -> str:
    people = {revision.author.get_username() for revisions in refused.edits.values() for revision in revisions}
    return _(
        "Not adopted: %(people)s changed %(labels)s since the machine draft, and a draft never replaces "
        "what a person wrote. Copy from the draft by hand if you want its words."
    ) % {"people": _joined(sorted(people)), "labels": _labels(refused.edits)}


def entry_review_view(model_admin, request, entry_id: int):
    entry = get_object_or_404(Entry.objects.select_related("paper", "day"), pk=entry_id)
    if not model_admin.has_view_permission(request, entry):
        raise PermissionDenied
    current = text_current(entry.paper)
    base_number = current.number if current else 0
    stale: StaleEdit | None = None
    if request.method == "POST" and {"_source_redraft", "_source_dismiss"} & set(request.POST):
        if not model_admin.has_change_permission(request, entry):
            raise PermissionDenied
        return _source_change_answer(request, entry)
    if request.method == "POST":
        if not model_admin.has_change_permission(request, entry):
            raise PermissionDenied
        form = EntryTextForm(request.POST)
        if form.is_valid():
            try:
                outcome = _apply(request, entry, form)
            except StaleEdit as exc:
                stale = exc
                form.add_error(None, _stale_save_message(exc))
                # The page now shows what changed up to that revision: saving again goes on top of it.
                form.data = form.data.copy()
                form.data["base_revision"] = exc.current.number
            except SectionsEditedByPeople as exc:
                form.add_error(None, _people_edits_message(exc))
            except ReviewError as exc:
                form.add_error(None, _review_error_message(exc))
            else:
                if outcome:
                    return outcome
    else:
        initial = current.text() if current else {}
        form = EntryTextForm(initial={**initial, "editor_note": entry.editor_note, "base_revision": base_number})

    latest_draft = entry.paper.machine_drafts.newest()
    findings = findings_shown(findings_of(current), current.text()) if current else []
    offer = draft_offer(draft=entry.paper.machine_drafts.succeeded().newest(), current=current)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Review %(arxiv_id)s") % {"arxiv_id": entry.paper.versioned_id},
        "opts": Entry._meta,
        "entry": entry,
        "paper": entry.paper,
        "form": form,
        "current": current,
        "findings": findings,
        "has_errors": any(finding.severity == ERROR for finding in findings),
        "latest_draft": latest_draft,
        "offer": offer,
        "offered_sections": _offered_sections(offer, current),
        "kept_sections": _kept_sections(offer),
        "people_changes": _people_changes(current),
        "stale_diffs": _diffs(stale.current.paper.revisions.get(number=stale.base_number), stale.current)
        if stale and stale.base_number else [],
        "previews": [(text_label(name), render_markdown_safely(getattr(current, name)))
                     for name in ("background_md", "method_md", "results_md")] if current else [],
        "next_entry": entry.day.entries.next_to_review(after=entry),
        "can_review": request.user.has_perm(REVIEW_ENTRY),
        "memory_suggestions": memory_suggestions(entry.paper),
        "source_changes": source_changes_shown(entry),
    }
    return TemplateResponse(request, "admin/publishing/entry_review.html", context)


def _source_change_answer(request, entry: Entry):
    """The banner's buttons: draft again (the memory keeps the unchanged sentences), or dismiss the mark."""
    if "_source_dismiss" in request.POST:
        try:
            if source_changes_dismiss(entry=entry, user=request.user):
                messages.success(request, _("The newer arXiv version is dismissed: the approved text stands."))
        except SourceChangeError as exc:
            messages.error(request, str(exc))
        return redirect("admin:publishing_entry_review", entry.pk)
    try:
        queued = papers_draft_again(papers=[entry.paper])
    except LLMError as exc:
        messages.error(request, _("Not drafted: %(reason)s") % {"reason": exc})
    else:
        if queued:
            messages.success(request, _(
                "A new draft of the new version is queued. Sentences whose English did not change are taken "
                "from the translation memory; when it is done, adopt its sections here."
            ))
        else:
            messages.info(request, _("A draft of this paper is already queued."))
    return redirect("admin:publishing_entry_review", entry.pk)


def _apply(request, entry: Entry, form: EntryTextForm):
    """Save the text (if changed), then do what the pressed button asks; return a redirect or None."""
    adopt = form.section_to_adopt
    if adopt:
        # Take one section of the newest machine draft; the form's own edits are not saved by this button.
        draft = entry.paper.machine_drafts.succeeded().newest()
        if draft is None:
            raise ReviewError(_("There is no machine draft to adopt a section from."), code="no_draft")
        adopted = revision_adopt_from_draft(
            draft=draft, fields=[adopt], author=request.user, base_number=form.cleaned_data["base_revision"]
        )
        if adopted:
            messages.success(request, _("Saved revision %(number)d.") % {"number": adopted.number})
        return redirect("admin:publishing_entry_review", entry.pk)
    revision = revision_save(
        paper=entry.paper,
        author=request.user,
        text=form.text(),
        base_number=form.cleaned_data["base_revision"],
        comment=form.cleaned_data["comment"],
    )
    entry = entry_note_set(entry=entry, user=request.user, note=form.cleaned_data["editor_note"])
    seen = revision.number if revision else form.cleaned_data["base_revision"]
    if "_approve" in request.POST:
        try:
            entry = entry_approve(entry=entry, user=request.user, seen_revision=seen,
                                  despite_errors=form.cleaned_data["despite_errors"])
        except CheckErrorsNotConfirmed as exc:
            # The text is saved; the page shows it again with its findings and the confirmation box.
            if revision:
                messages.success(request, _("Saved revision %(number)d.") % {"number": revision.number})
            messages.error(request, str(exc))
            return redirect("admin:publishing_entry_review", entry.pk)
        messages.success(request, _("Approved %(id)s.") % {"id": entry.paper.arxiv_id})
    elif "_reject" in request.POST:
        entry = entry_reject(entry=entry, user=request.user, note=form.cleaned_data["editor_note"])
        messages.success(request, _("Rejected %(id)s.") % {"id": entry.paper.arxiv_id})
    elif "_reopen" in request.POST:
        entry = entry_reopen(entry=entry, user=request.user)
    elif revision:
        messages.success(request, _("Saved revision %(number)d.") % {"number": revision.number})
    if {"_save_next", "_approve", "_reject"} & set(request.POST):
        return _to_next_to_review(request, entry)
    return redirect("admin:publishing_entry_review", entry.pk)


def _to_next_to_review(request, entry: Entry):
    """On to the day's next entry still needing review; after the last one, back to the day's page."""
    following = entry.day.entries.next_to_review(after=entry)
    if following is not None:
        return redirect("admin:publishing_entry_review", following.pk)
    if entry.state in Entry.NOT_REVIEWED:  # "Save and next" on the last one left: it still needs a decision
        messages.info(request, _("No other entry of this day needs review."))
        return redirect("admin:publishing_entry_review", entry.pk)
    day = entry.day
    publishable = day.status in (DigestDay.Status.IN_REVIEW, DigestDay.Status.PUBLISHED) and day.entries.approved().exists()
    if publishable and request.user.has_perm(PUBLISH_DAY):
        messages.success(request, _("Every entry of %(date)s is reviewed: the day can be published.") % {
            "date": day.date})
    else:
        messages.success(request, _("Every entry of %(date)s is reviewed.") % {"date": day.date})
    return redirect("admin:publishing_digestday_review", day.pk)


def _offered_sections(offer: DraftOffer | None, current: Revision | None) -> list[tuple[str, str, object]]:
    """(field, label, diff from the current text) for each section the newer machine draft may replace."""
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
            "people": _joined(dict.fromkeys(revision.author.get_username() for revision in revisions)),
        }
        for name, revisions in offer.kept.items()
    ]


def _people_changes(current: Revision | None) -> list[dict[str, object]]:
    """Who changed what since the machine text, oldest first: each revision a person saved, restored or adopted."""
    if current is None:
        return []
    revisions = (current.paper.revisions.filter(number__lte=current.number, author__isnull=False)
                 .select_related("author", "restored_from").defer(*Revision.TEXT_FIELDS).order_by("number"))
    rows = []
    for revision in revisions:
        if revision.from_draft_id:
            how = _("adopted from machine draft #%(id)d") % {"id": revision.from_draft_id}
        elif revision.restored_from_id:
            how = _("restored revision %(number)d") % {"number": revision.restored_from.number}
        else:
            how = ""
        rows.append({"number": revision.number, "who": revision.author.get_username(),
                     "time": _when(revision.created_at), "labels": _labels(revision.changed_fields), "how": how})
    return rows


def _diffs(old, new) -> list[tuple[str, object]]:
    return [
        (text_label(name), diff_html(getattr(old, name), getattr(new, name)))
        for name in Revision.TEXT_FIELDS
        if getattr(old, name) != getattr(new, name)
    ]


def _version(entry: Entry, key: str):
    """`r3` is revision 3 of the entry's paper; `d12` is machine draft 12 of that paper (keys checked by the form)."""
    if not key:
        return None
    kind, number = key[:1], int(key[1:])
    if kind == "r":
        return entry.paper.revisions.filter(number=number).first()
    return entry.paper.machine_drafts.filter(pk=number).first()


def _error_messages(request, form, *, prefix: str) -> None:
    """Tell the editor why a posted form was refused, one message per error."""
    for name, errors in form.errors.items():
        label = "" if name == "__all__" else f"{form.fields[name].label}: "
        for error in errors:
            messages.error(request, f"{prefix} {label}{error}")


def entry_revisions_view(model_admin, request, entry_id: int):
    entry = get_object_or_404(Entry.objects.select_related("paper", "day"), pk=entry_id)
    if not model_admin.has_view_permission(request, entry):
        raise PermissionDenied
    revisions = list(entry.paper.revisions.select_related("author", "from_draft", "restored_from").order_by("-number"))
    for revision in revisions:
        revision.changed_labels = [str(text_label(name)) for name in revision.changed_fields]
        revision.note = revision_note(revision)
    if request.method == "POST":
        if not model_admin.has_change_permission(request, entry):
            raise PermissionDenied
        form = RevisionRestoreForm(request.POST, paper=entry.paper)
        if not form.is_valid():
            _error_messages(request, form, prefix=_("Not restored:"))
            return redirect("admin:publishing_entry_revisions", entry.pk)
        number = form.cleaned_data["restore"]
        try:
            restored = entry_text_restore(
                entry=entry, user=request.user, number=number, base_number=form.cleaned_data["base_revision"]
            )
        except StaleEdit as exc:
            messages.error(request, _stale_restore_message(exc))
        except ReviewError as exc:
            messages.error(request, _review_error_message(exc))
        else:
            if restored:
                messages.success(
                    request, _("Revision %(old)d restored as revision %(new)d.") % {"old": number, "new": restored.number}
                )
        return redirect("admin:publishing_entry_revisions", entry.pk)

    compare = RevisionCompareForm(request.GET)
    if compare.is_valid():  # unchosen: the first machine draft against the newest revision
        first_draft = revisions[-1].from_draft if revisions and revisions[-1].from_draft else None
        a_key = compare.cleaned_data["a"] or (f"d{first_draft.pk}" if first_draft else "")
        b_key = compare.cleaned_data["b"] or (f"r{revisions[0].number}" if revisions else "")
    else:  # a key naming no version: compare nothing rather than something not asked for
        a_key = b_key = ""
    a, b = _version(entry, a_key), _version(entry, b_key)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Revisions of %(arxiv_id)s") % {"arxiv_id": entry.paper.arxiv_id},
        "opts": Entry._meta,
        "entry": entry,
        "revisions": revisions,
        "drafts": list(entry.paper.machine_drafts.succeeded().order_by("-id")),
        "compare_form": compare,
        "a_key": a_key,
        "b_key": b_key,
        "diffs": _diffs(a, b) if a and b else [],
        "compared": bool(a and b),
        "base_revision": revisions[0].number if revisions else 0,
        "review_url": reverse("admin:publishing_entry_review", args=[entry.pk]),
    }
    return TemplateResponse(request, "admin/publishing/entry_revisions.html", context)


def day_review_view(model_admin, request, day_id: int):
    """All entries of a day in order, with state and warnings; bulk approve / reject of the ticked ones.

    Each row carries the revision number the editor saw, so a bulk approval of text that
    changed since is refused for that entry, like a stale form.
    """
    day = get_object_or_404(
        DigestDay.objects.select_related("live_publication").defer("live_publication__markdown", "live_publication__html"),
        pk=day_id,
    )
    if not request.user.has_perm(VIEW_ENTRY):
        raise PermissionDenied
    if request.method == "POST" and "_acknowledge" in request.POST:
        return _day_acknowledge_from_review(request, day)
    if request.method == "POST":
        form = DayReviewActionForm(request.POST, day=day)
        if not form.is_valid():
            _error_messages(request, form, prefix=_("Nothing done:"))
            return redirect("admin:publishing_digestday_review", day.pk)
        done, refused = 0, []
        for entry in form.cleaned_data["entry"]:
            try:
                if form.cleaned_data["action"] == "approve":
                    entry_approve(entry=entry, user=request.user, seen_revision=form.seen_revision(entry),
                                  despite_errors=form.cleaned_data["despite_errors"])
                else:
                    entry_reject(entry=entry, user=request.user)
                done += 1
            except ReviewError as exc:
                refused.append(_review_error_message(exc))
        if done:
            messages.success(request, _("%(count)d entries done.") % {"count": done})
        for reason in refused:
            messages.error(request, reason)
        return redirect("admin:publishing_digestday_review", day.pk)

    current_revisions = {
        paper_id: (number, checks)
        for paper_id, number, checks in Revision.objects.filter(paper__digest_entries__day=day).latest_per_paper()
        .values_list("paper_id", "number", "checks")
    }
    latest_drafts = {
        draft.paper_id: draft
        for draft in MachineDraft.objects.filter(paper__digest_entries__day=day).latest_per_paper()
    }
    rows = [
        {
            "entry": entry,
            "revision": current_revisions.get(entry.paper_id, (None, None))[0],
            "checks": severity_counts(current_revisions.get(entry.paper_id, (None, None))[1]),
            "draft": latest_drafts.get(entry.paper_id),
        }
        for entry in day.entries.select_related("paper", "approved_by").order_by("position")
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Review %(day)s") % {"day": day},
        "opts": DigestDay._meta,
        "day": day,
        "rows": rows,
        "can_review": request.user.has_perm(REVIEW_ENTRY),
        "can_publish": request.user.has_perm(PUBLISH_DAY),
        "publications": list(day.publications.defer("markdown", "html").order_by("-version")),
        "not_reviewed": sum(1 for row in rows if row["entry"].state in Entry.NOT_REVIEWED),
        "approved": sum(1 for row in rows if row["entry"].state == Entry.State.APPROVED),
        "unpublished_changes": [change for change in unpublished_changes(day=day) if change.kind != "removed"],
        "newer_versions": newer_versions_of(day),
        **_attention_context(request, day),
    }
    return TemplateResponse(request, "admin/publishing/day_review.html", context)


def _attention_context(request, day: DigestDay) -> dict:
    """The day's history of flags and, for a chief editor while the day is flagged, the form to acknowledge it."""
    can_acknowledge = day.status == DigestDay.Status.NEEDS_ATTENTION and request.user.has_perm(PUBLISH_DAY)
    return {
        "flag_history": list(day.transitions.flags()),
        "acknowledge_form": DayAcknowledgeForm(day=day) if can_acknowledge else None,
    }


def _day_acknowledge_from_review(request, day: DigestDay):
    """The chief editor's acknowledgement of the day's flag; the service checks the permission again."""
    if not request.user.has_perm(PUBLISH_DAY):
        raise PermissionDenied
    form = DayAcknowledgeForm(request.POST, day=day)
    if not form.is_valid():
        _error_messages(request, form, prefix=_("Not acknowledged:"))
        return redirect("admin:publishing_digestday_review", day.pk)
    try:
        day = day_acknowledge_attention(day=day, user=request.user, reason=form.cleaned_data["reason"])
    except DayStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Flag acknowledged: the day is %(status)s again.") % {"status": day.get_status_display()})
    return redirect("admin:publishing_digestday_review", day.pk)


def post_editing_view(model_admin, request):
    if not request.user.has_perm(VIEW_ENTRY):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Post-editing figures"),
        "opts": DigestDay._meta,
        "tables": [(_("By day"), post_editing_by_day()), (_("By model and prompt version"), post_editing_by_model())],
        "by_check": post_editing_by_check(),
    }
    return TemplateResponse(request, "admin/publishing/post_editing.html", context)
