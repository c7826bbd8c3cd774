"""The editors' pages in the admin: review one entry (edit, save, approve), its revision history,
a day's entries (bulk approve / reject, publish), and the post-editing figures.

Thin views: publishing.review.forms checks what was posted, publishing.review.submission and the
services do it, publishing.review.pages reads what a page shows; the views dispatch, tell the
outcome (publishing.review.wording) and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from digests.access import digest_ids_of, user_may
from publishing.days.services import DayStateError, day_acknowledge_attention
from publishing.models import DigestDay, Entry
from publishing.permissions import PUBLISH_DAY, REVIEW_ENTRY, VIEW_ENTRY
from publishing.review.figures import post_editing_by_check, post_editing_by_day, post_editing_by_model
from publishing.review.forms import (
    DayAcknowledgeForm,
    DayReviewActionForm,
    EntryTextForm,
    RevisionCompareForm,
    RevisionRestoreForm,
)
from publishing.review.pages import (
    EntryReviewPage,
    day_review_page,
    entry_review_page,
    entry_revisions_page,
    page_context,
)
from publishing.review.services import ReviewError, entry_text_restore
from publishing.review.source_changes import SourceChangeError, source_changes_dismiss
from publishing.review.submission import (
    ReviewStep,
    ReviewSubmission,
    entries_decide,
    entry_review_submit,
    entry_section_adopt,
)
from publishing.review.wording import (
    people_edits_message,
    review_error_message,
    stale_restore_message,
    stale_save_message,
)
from translations.llm import LLMError
from translations.revisions import SectionsEditedByPeople, StaleEdit
from translations.services import papers_draft_again


def _entry_shown(model_admin, request, entry_id: int) -> Entry:
    """The entry, for a user who may see it (in one of their digests: the admin's permission checks it)."""
    entry = get_object_or_404(Entry.objects.select_related("paper", "day__digest"), pk=entry_id)
    if not model_admin.has_view_permission(request, entry):
        raise PermissionDenied
    return entry


def _saved_message(revision) -> str:
    return _("Saved revision %(number)d.") % {"number": revision.number}


def entry_review_view(model_admin, request, entry_id: int):
    entry = _entry_shown(model_admin, request, entry_id)
    if request.method != "POST":
        return _entry_review_response(model_admin, request, _entry_page(request, entry), form=None)
    if not model_admin.has_change_permission(request, entry):
        raise PermissionDenied
    if {"_source_redraft", "_source_dismiss"} & set(request.POST):
        return _source_change_answer(request, entry)
    form = EntryTextForm(request.POST)
    stale: StaleEdit | None = None
    if form.is_valid():
        try:
            return _entry_form_answer(request, entry, form)
        except StaleEdit as exc:
            stale = exc
            _stale_save_refused(form, exc)
        except SectionsEditedByPeople as exc:
            form.add_error(None, people_edits_message(exc))
        except ReviewError as exc:
            form.add_error(None, review_error_message(exc))
    return _entry_review_response(model_admin, request, _entry_page(request, entry, stale=stale), form=form)


def _entry_page(request, entry: Entry, *, stale: StaleEdit | None = None) -> EntryReviewPage:
    return entry_review_page(entry=entry, stale=stale, seen_digest_ids=digest_ids_of(request.user))


def _entry_review_response(model_admin, request, page: EntryReviewPage, *, form: EntryTextForm | None):
    if form is None:  # opened: the form holds the current text, on top of its revision
        text = page.current.text() if page.current else {}
        form = EntryTextForm(initial={**text, "editor_note": page.entry.editor_note,
                                      "base_revision": page.current.number if page.current else 0})
    return TemplateResponse(request, "admin/publishing/entry_review.html", {
        **model_admin.admin_site.each_context(request),
        **page_context(page),
        "opts": Entry._meta,
        "form": form,
        "can_review": user_may(request.user, REVIEW_ENTRY, page.entry.digest_id),
    })


def _stale_save_refused(form: EntryTextForm, stale: StaleEdit) -> None:
    form.add_error(None, stale_save_message(stale))
    # The page now shows what changed up to that revision: saving again goes on top of it.
    form.data = form.data.copy()
    form.data["base_revision"] = stale.current.number


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
        messages.error(request, _("Not drafted: %(reason)s") % {"reason": exc.shown})
    else:
        if queued:
            messages.success(request, _(
                "A new draft of the new version is queued. Sentences whose English did not change are taken "
                "from the translation memory; when it is done, adopt its sections here."
            ))
        else:
            messages.info(request, _("A draft of this paper is already queued."))
    return redirect("admin:publishing_entry_review", entry.pk)


def _entry_form_answer(request, entry: Entry, form: EntryTextForm):
    """Do what the pressed button asks and tell the outcome; domain refusals are raised to the caller."""
    base_number = form.cleaned_data["base_revision"]
    if form.section_to_adopt:
        # Takes one section of the newest machine draft; the form's own edits are not saved by this button.
        adopted = entry_section_adopt(entry=entry, user=request.user, section=form.section_to_adopt,
                                      base_number=base_number)
        if adopted:
            messages.success(request, _saved_message(adopted))
        return redirect("admin:publishing_entry_review", entry.pk)
    submitted = entry_review_submit(
        entry=entry, user=request.user, text=form.text(), base_number=base_number,
        note=form.cleaned_data["editor_note"], comment=form.cleaned_data["comment"],
        step=form.step, despite_errors=form.cleaned_data["despite_errors"],
    )
    _submission_told(request, submitted, form.step)
    if form.then_next and submitted.unconfirmed is None:
        return _to_next_to_review(request, submitted.entry)
    return redirect("admin:publishing_entry_review", entry.pk)


def _submission_told(request, submitted: ReviewSubmission, step: ReviewStep) -> None:
    arxiv_id = submitted.entry.paper.arxiv_id
    if submitted.unconfirmed is not None:
        # The text is saved; the page shows it again with its findings and the confirmation box.
        if submitted.revision:
            messages.success(request, _saved_message(submitted.revision))
        messages.error(request, str(submitted.unconfirmed))
    elif step is ReviewStep.APPROVE:
        messages.success(request, _("Approved %(id)s.") % {"id": arxiv_id})
    elif step is ReviewStep.REJECT:
        messages.success(request, _("Rejected %(id)s.") % {"id": arxiv_id})
    elif step is ReviewStep.SAVE and submitted.revision:
        messages.success(request, _saved_message(submitted.revision))


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
    if publishable and user_may(request.user, PUBLISH_DAY, day.digest_id):
        messages.success(request, _("Every entry of %(date)s is reviewed: the day can be published.") % {
            "date": day.date})
    else:
        messages.success(request, _("Every entry of %(date)s is reviewed.") % {"date": day.date})
    return redirect("admin:publishing_digestday_review", day.pk)


def _error_messages(request, form, *, prefix: str) -> None:
    """Tell the editor why a posted form was refused, one message per error."""
    for name, errors in form.errors.items():
        label = "" if name == "__all__" else f"{form.fields[name].label}: "
        for error in errors:
            messages.error(request, f"{prefix} {label}{error}")


def entry_revisions_view(model_admin, request, entry_id: int):
    entry = _entry_shown(model_admin, request, entry_id)
    if request.method == "POST":
        if not model_admin.has_change_permission(request, entry):
            raise PermissionDenied
        _restore_answer(request, entry)
        return redirect("admin:publishing_entry_revisions", entry.pk)
    compare = RevisionCompareForm(request.GET)
    a_key, b_key = compare.chosen_keys()
    return TemplateResponse(request, "admin/publishing/entry_revisions.html", {
        **model_admin.admin_site.each_context(request),
        **page_context(entry_revisions_page(entry=entry, a_key=a_key, b_key=b_key)),
        "opts": Entry._meta,
        "compare_form": compare,
    })


def _restore_answer(request, entry: Entry) -> None:
    """The history page's Restore button, told in messages."""
    form = RevisionRestoreForm(request.POST, paper=entry.paper)
    if not form.is_valid():
        _error_messages(request, form, prefix=_("Not restored:"))
        return
    number = form.cleaned_data["restore"]
    try:
        restored = entry_text_restore(
            entry=entry, user=request.user, number=number, base_number=form.cleaned_data["base_revision"]
        )
    except StaleEdit as exc:
        messages.error(request, stale_restore_message(exc))
    except ReviewError as exc:
        messages.error(request, review_error_message(exc))
    else:
        if restored:
            messages.success(
                request, _("Revision %(old)d restored as revision %(new)d.") % {"old": number, "new": restored.number}
            )


def day_review_view(model_admin, request, day_id: int):
    """All entries of a day in order, with state and warnings; bulk approve / reject of the ticked ones.

    Each row carries the revision number the editor saw, so a bulk approval of text that
    changed since is refused for that entry, like a stale form.
    """
    day = get_object_or_404(
        DigestDay.objects.select_related("live_publication", "digest").defer("live_publication__markdown",
                                                                             "live_publication__html"),
        pk=day_id,
    )
    if not user_may(request.user, VIEW_ENTRY, day.digest_id):  # another digest's day, or no editor
        raise PermissionDenied
    if request.method == "POST" and "_acknowledge" in request.POST:
        return _day_acknowledge_from_review(request, day)
    if request.method == "POST":
        if not user_may(request.user, REVIEW_ENTRY, day.digest_id):
            raise PermissionDenied
        _decide_answer(request, day)
        return redirect("admin:publishing_digestday_review", day.pk)
    return TemplateResponse(request, "admin/publishing/day_review.html", {
        **model_admin.admin_site.each_context(request),
        **page_context(day_review_page(day=day)),
        "opts": DigestDay._meta,
        "can_review": user_may(request.user, REVIEW_ENTRY, day.digest_id),
        "can_publish": user_may(request.user, PUBLISH_DAY, day.digest_id),
        "acknowledge_form": _acknowledge_form(request, day),
    })


def _acknowledge_form(request, day: DigestDay) -> DayAcknowledgeForm | None:
    """For a chief editor while the day is flagged, the form to acknowledge the flag."""
    if day.status == DigestDay.Status.NEEDS_ATTENTION and user_may(request.user, PUBLISH_DAY, day.digest_id):
        return DayAcknowledgeForm(day=day)
    return None


def _decide_answer(request, day: DigestDay) -> None:
    """The day page's approve / reject of the ticked entries, told in messages (one per refusal)."""
    form = DayReviewActionForm(request.POST, day=day)
    if not form.is_valid():
        _error_messages(request, form, prefix=_("Nothing done:"))
        return
    decided = entries_decide(
        entries=form.cleaned_data["entry"], user=request.user, approve=form.cleaned_data["action"] == "approve",
        seen=form.seen_revisions(), despite_errors=form.cleaned_data["despite_errors"],
    )
    if decided.done:
        messages.success(request, _("%(count)d entries done.") % {"count": decided.done})
    for refused in decided.refused:
        messages.error(request, review_error_message(refused))


def _day_acknowledge_from_review(request, day: DigestDay):
    """The chief editor's acknowledgement of the day's flag; the service checks the permission again."""
    if not user_may(request.user, PUBLISH_DAY, day.digest_id):
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
