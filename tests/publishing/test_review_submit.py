"""The review page's form as one change (publishing.review.submission): the text, the note and the
editor's step (approve, reject, reopen) are kept together or not at all."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.urls import reverse

from publishing.models import Entry
from publishing.review import services
from publishing.review.services import ReviewError, entry_approve, entry_reject
from publishing.review.submission import ReviewStep, entries_decide, entry_review_submit, entry_section_adopt
from tests.builders import demo_day_collected, demo_texts_recorded, user_in
from translations.models import Revision
from translations.revisions import StaleEdit, revision_saved, text_current


@pytest.fixture
def entries(db, django_capture_on_commit_callbacks):
    day = demo_day_collected()
    with django_capture_on_commit_callbacks(execute=True):
        demo_texts_recorded(day)
    return list(day.entries.select_related("paper", "day").order_by("position"))


@pytest.fixture
def other_editor(db):
    return user_in("Editor", "other")


def submit(entry, user, *, step=ReviewStep.SAVE, note="", base_number=None, despite_errors=False, **text):
    base = text_current(entry.paper).number if base_number is None else base_number
    return entry_review_submit(entry=entry, user=user, text={**text_current(entry.paper).text(), **text},
                               base_number=base, note=note, step=step, despite_errors=despite_errors)


def state_of(entry) -> tuple[str, str, int]:
    """(state, note, revisions): what a refused submission must leave as it was."""
    fresh = Entry.objects.get(pk=entry.pk)
    return fresh.state, fresh.editor_note, Revision.objects.filter(paper=entry.paper).count()


def broken_tex(entry) -> str:
    """The abstract with a lone $ (an error-severity finding of the quality checks)."""
    return "$T_{60 " + text_current(entry.paper).abstract_zh


def test_save_and_approve_saves_the_text_and_note_and_approves_the_saved_revision(entries, editor):
    submitted = submit(entries[0], editor, step=ReviewStep.APPROVE, note="表二已核对", abstract_zh="新摘要")
    assert (submitted.revision.number, submitted.revision.author, submitted.unconfirmed) == (2, editor, None)
    entry = Entry.objects.get(pk=entries[0].pk)
    assert (entry.state, entry.approved_revision.number, entry.editor_note) == ("approved", 2, "表二已核对")
    assert list(LogEntry.objects.order_by("id").values_list("change_message", flat=True)) == [
        "Changed the editor note", "Approved revision 2"]


def test_an_approval_refused_after_the_save_keeps_neither_the_revision_nor_the_note(entries, editor, other_editor):
    # The editor opened the page while the entry was in review; meanwhile another editor rejected it.
    entry_reject(entry=entries[0], user=other_editor)
    before = state_of(entries[0])
    with pytest.raises(ReviewError) as refused:
        submit(entries[0], editor, step=ReviewStep.APPROVE, note="看过了", abstract_zh="新摘要")
    assert refused.value.code == "move_not_allowed"
    assert state_of(entries[0]) == before == ("rejected", "", 1)
    assert not LogEntry.objects.filter(user=editor).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # real commits: the rollback is the database's
def test_a_database_error_in_the_approve_step_rolls_the_saved_revision_back(monkeypatch, django_capture_on_commit_callbacks):
    day = demo_day_collected()
    with django_capture_on_commit_callbacks(execute=True):
        demo_texts_recorded(day)
    entry = day.entries.select_related("paper", "day").get(position=1)
    editor = user_in("Editor", "editor")
    sent = []
    revision_saved.connect(lambda sender, revision, **kwargs: sent.append(revision.number), weak=False,
                           dispatch_uid="test_review_submit")

    def failing(**kwargs):  # the approve step's last write: the glossary's suggested terms
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "corrections_record", failing)
    try:
        with pytest.raises(DatabaseError):
            submit(entry, editor, step=ReviewStep.APPROVE, note="看过了", abstract_zh="新摘要")
    finally:
        revision_saved.disconnect(dispatch_uid="test_review_submit")
    assert state_of(entry) == ("in_review", "", 1)
    assert not LogEntry.objects.filter(user=editor).exists()
    assert sent == [], "no one is told of a revision that was rolled back"


def test_unconfirmed_check_errors_keep_the_saved_text_and_note_and_leave_the_entry_in_review(entries, editor):
    submitted = submit(entries[1], editor, step=ReviewStep.APPROVE, note="公式待查", abstract_zh=broken_tex(entries[1]))
    assert submitted.unconfirmed is not None and submitted.unconfirmed.code == "check_errors"
    assert submitted.revision.number == 2 and submitted.entry.state == Entry.State.IN_REVIEW
    assert state_of(entries[1]) == ("in_review", "公式待查", 2)

    confirmed = submit(entries[1], editor, step=ReviewStep.APPROVE, note="公式待查", despite_errors=True)
    assert confirmed.revision is None, "the same text: nothing to save"
    assert (confirmed.entry.state, confirmed.entry.approved_revision.number) == ("approved", 2)


def test_a_stale_save_writes_nothing_not_even_the_note(entries, editor, other_editor):
    submit(entries[0], other_editor, title_zh="另一位编辑的标题")
    with pytest.raises(StaleEdit):
        submit(entries[0], editor, step=ReviewStep.APPROVE, base_number=1, note="我的笔记", method_md="- 我的方法")
    assert state_of(entries[0]) == ("in_review", "", 2)


def test_new_text_sends_an_approved_entry_back_to_review_within_the_same_change(
    entries, editor, other_editor, django_capture_on_commit_callbacks
):
    entry_approve(entry=entries[0], user=other_editor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submitted = submit(entries[0], editor, results_md="- 新结果")
        # Before the commit: the step judged the entry in the state the new text puts it in.
        assert Entry.objects.get(pk=entries[0].pk).state == Entry.State.IN_REVIEW
    assert callbacks, "the revision_saved receiver still runs after the commit"
    assert submitted.entry.approved_revision is None
    assert list(LogEntry.objects.filter(user=editor).values_list("change_message", flat=True)) == [
        "Back to review: revision 2 changed the approved text"], "moved once, not again by the receiver"


def test_reject_keeps_the_note_and_reopen_takes_a_rejected_entry_back_with_its_new_text(entries, editor):
    rejected = submit(entries[0], editor, step=ReviewStep.REJECT, note="不属于本期主题")
    assert (rejected.revision, rejected.entry.state, rejected.entry.editor_note) == (None, "rejected", "不属于本期主题")
    reopened = submit(entries[0], editor, step=ReviewStep.REOPEN, note="", title_zh="新标题")
    assert (reopened.revision.number, reopened.entry.state) == (2, "in_review")
    assert state_of(entries[0]) == ("in_review", "", 2)


def test_only_editors_may_submit_and_a_refused_user_leaves_nothing(entries):
    with pytest.raises(PermissionDenied):
        submit(entries[0], user_in(None, "visitor"), abstract_zh="新摘要")
    assert state_of(entries[0]) == ("in_review", "", 1)


def test_adopting_from_a_paper_without_a_draft_is_refused(db, editor):
    waiting = demo_day_collected().entries.select_related("paper").get(position=1)
    with pytest.raises(ReviewError) as refused:
        entry_section_adopt(entry=waiting, user=editor, section="title_zh", base_number=0)
    assert refused.value.code == "no_draft"
    with pytest.raises(PermissionDenied):
        entry_section_adopt(entry=waiting, user=user_in(None, "visitor"), section="title_zh", base_number=0)


def test_deciding_ticked_entries_does_each_alone_and_tells_every_refusal(entries, editor, other_editor):
    submit(entries[1], other_editor, title_zh="改过的标题")  # the day page showed revision 1
    decided = entries_decide(entries=entries[:3], user=editor, approve=True,
                             seen={entry.pk: 1 for entry in entries[:3]})
    assert decided.done == 2 and [refusal.code for refusal in decided.refused] == ["changed_since_read"]
    assert [Entry.objects.get(pk=entry.pk).state for entry in entries[:3]] == ["approved", "in_review", "approved"]


def review_url(entry):
    return reverse("admin:publishing_entry_review", args=[entry.pk])


def form_data(entry, **changes):
    revision = text_current(entry.paper)
    return {**revision.text(), "base_revision": revision.number, "comment": "", "editor_note": "", **changes}


def test_save_and_approve_of_an_entry_rejected_meanwhile_saves_nothing_and_keeps_the_text_in_the_form(
    client, entries, other_editor
):
    client.force_login(user_in("Editor", "editor"))
    opened = form_data(entries[0], abstract_zh="我的新摘要", editor_note="看看表二")
    entry_reject(entry=entries[0], user=other_editor)
    page = client.post(review_url(entries[0]), {**opened, "_approve": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "is rejected; it cannot become approved" in page.content.decode()
    assert "我的新摘要" in page.content.decode()
    assert state_of(entries[0]) == ("rejected", "", 1)
    # Nothing of the refused post is in the way: the same form saves on the revision it was opened on.
    saved = client.post(review_url(entries[0]), {**opened, "_save": "1"})
    assert saved.status_code == 302 and state_of(entries[0]) == ("rejected", "看看表二", 2)


def test_save_and_approve_with_new_check_errors_says_saved_and_asks_for_the_confirmation(client, entries):
    client.force_login(user_in("Editor", "editor"))
    response = client.post(review_url(entries[1]), form_data(entries[1], abstract_zh=broken_tex(entries[1]), _approve="1"),
                           follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.redirect_chain == [(review_url(entries[1]), 302)]
    assert "Saved revision 2." in page and "confirm to approve it despite them" in page
    assert 'id="despite-errors"' in page
    assert state_of(entries[1]) == ("in_review", "", 2)
