"""Entry review states, editor revisions, stale edits and roles (the domain under the review admin)."""

import json
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from publishing.models import Entry
from publishing.permissions import PUBLISH_DAY, REVIEW_ENTRY
from publishing.review.services import (
    ReviewError,
    entries_follow_text,
    entry_approve,
    entry_note_set,
    entry_reject,
    entry_reopen,
    entry_text_restore,
)
from tests.builders import DEMO_DRAFTS, demo_day_collected, user_in
from translations.models import MachineDraft, Revision
from translations.revisions import (
    SectionsEditedByPeople,
    StaleEdit,
    draft_offer,
    revision_adopt_from_draft,
    revision_restore,
    revision_save,
    text_current,
    text_start_from_draft,
)
from translations.services import draft_record_demo


@pytest.fixture
def day(db, django_capture_on_commit_callbacks):
    return demo_day_collected()


def draft_paper(entry, django_capture_on_commit_callbacks):
    fields = DEMO_DRAFTS[entry.paper.arxiv_id]
    with django_capture_on_commit_callbacks(execute=True):
        draft_record_demo(paper=entry.paper, fields=fields)
    entry.refresh_from_db()
    return entry


@pytest.fixture
def other_editor(db):
    return user_in("Editor", "other")


@pytest.fixture
def entry(day, django_capture_on_commit_callbacks):
    return draft_paper(day.entries.get(position=1), django_capture_on_commit_callbacks)


def save(entry, user, base, capture, **text):
    with capture(execute=True):
        return revision_save(paper=entry.paper, author=user, text=text, base_number=base)


def test_entries_wait_for_a_draft_then_go_to_review_with_the_draft_as_revision_one(day, django_capture_on_commit_callbacks):
    first = day.entries.get(position=1)
    assert first.state == Entry.State.AWAITING_DRAFT
    first = draft_paper(first, django_capture_on_commit_callbacks)
    assert first.state == Entry.State.IN_REVIEW
    revision = text_current(first.paper)
    assert revision.number == 1 and revision.author is None and revision.from_draft is not None
    assert revision.abstract_zh.startswith("基于扩散的神经声码器")


def test_approve_reject_reopen_follow_the_allowed_moves_and_are_logged(entry, editor):
    entry = entry_approve(entry=entry, user=editor, seen_revision=1)
    assert (entry.state, entry.approved_by, entry.approved_revision.number) == ("approved", editor, 1)
    with pytest.raises(ReviewError) as refused:
        entry_reject(entry=entry, user=editor)
    assert refused.value.code == "move_not_allowed"
    entry = entry_reopen(entry=entry, user=editor)
    assert entry.state == Entry.State.IN_REVIEW and entry.approved_by is None
    entry = entry_reject(entry=entry, user=editor, note="off topic")
    assert entry.state == Entry.State.REJECTED and entry.editor_note == "off topic"
    messages = list(LogEntry.objects.filter(user=editor).order_by("id").values_list("change_message", flat=True))
    assert messages == ["Approved revision 1", "Reopened for review", "Rejected: off topic"]


def test_the_editor_note_is_set_by_its_service_and_logged_once(entry, editor):
    entry = entry_note_set(entry=entry, user=editor, note="check the numbers in table 2")
    entry_note_set(entry=entry, user=editor, note="check the numbers in table 2")
    assert Entry.objects.get(pk=entry.pk).editor_note == "check the numbers in table 2"
    assert list(LogEntry.objects.values_list("user__username", "change_message")) == [("editor", "Changed the editor note")]


def test_only_editors_may_set_a_note_or_restore_text(entry, db):
    outsider = user_in(None, "visitor")
    for user in (outsider, None):
        with pytest.raises(PermissionDenied):
            entry_note_set(entry=entry, user=user, note="spam")
        with pytest.raises(PermissionDenied):
            entry_text_restore(entry=entry, user=user, number=1, base_number=1)
    assert Entry.objects.get(pk=entry.pk).editor_note == "" and Revision.objects.filter(paper=entry.paper).count() == 1


def test_restoring_from_the_history_adds_a_revision_and_is_logged(entry, editor, django_capture_on_commit_callbacks):
    save(entry, editor, 1, django_capture_on_commit_callbacks, abstract_zh="第二版")
    with django_capture_on_commit_callbacks(execute=True):
        restored = entry_text_restore(entry=entry, user=editor, number=1, base_number=2)
    assert (restored.number, restored.restored_from.number, restored.author) == (3, 1, editor)
    assert LogEntry.objects.get(user=editor).change_message == "Restored revision 1 as revision 3"


def test_restoring_a_revision_the_paper_lacks_or_on_a_stale_base_changes_nothing(
    entry, editor, django_capture_on_commit_callbacks
):
    save(entry, editor, 1, django_capture_on_commit_callbacks, abstract_zh="第二版")
    with pytest.raises(ReviewError) as refused:
        entry_text_restore(entry=entry, user=editor, number=7, base_number=2)
    assert (refused.value.code, refused.value.params["number"]) == ("no_such_revision", 7)
    with pytest.raises(StaleEdit):
        entry_text_restore(entry=entry, user=editor, number=1, base_number=1)
    assert Revision.objects.filter(paper=entry.paper).count() == 2 and not LogEntry.objects.exists()


def test_an_edit_of_approved_text_sends_it_back_to_review_logged_with_the_editor_who_made_it(
    entry, editor, other_editor, django_capture_on_commit_callbacks
):
    entry_approve(entry=entry, user=editor, seen_revision=1)
    save(entry, other_editor, 1, django_capture_on_commit_callbacks, results_md="- 新结果")
    assert Entry.objects.get(pk=entry.pk).state == Entry.State.IN_REVIEW
    assert LogEntry.objects.get(user=other_editor).change_message == "Back to review: revision 2 changed the approved text"


def test_text_arriving_moves_entries_only_as_their_transitions_allow(day, monkeypatch, django_capture_on_commit_callbacks):
    waiting = day.entries.get(position=1)
    monkeypatch.setitem(Entry.TRANSITIONS.table, Entry.State.AWAITING_DRAFT, frozenset({Entry.State.REJECTED}))
    revision = Revision.objects.create(paper=waiting.paper, number=1, title_zh="标题")
    with pytest.raises(ReviewError) as refused:
        entries_follow_text(revision=revision)
    assert refused.value.code == "move_not_allowed" and refused.value.params["target"] == Entry.State.IN_REVIEW.label
    assert Entry.objects.get(pk=waiting.pk).state == Entry.State.AWAITING_DRAFT
    monkeypatch.undo()
    entries_follow_text(revision=revision)
    assert Entry.objects.get(pk=waiting.pk).state == Entry.State.IN_REVIEW
    assert not LogEntry.objects.exists(), "a machine draft's text has no author to log"


def test_an_entry_without_text_cannot_be_approved(day, editor):
    with pytest.raises(ReviewError) as refused:
        entry_approve(entry=day.entries.get(position=2), user=editor)
    assert refused.value.code == "no_text"


def test_approval_of_text_that_changed_since_it_was_read_is_refused(entry, editor, other_editor, django_capture_on_commit_callbacks):
    save(entry, other_editor, 1, django_capture_on_commit_callbacks, title_zh="新的标题")
    with pytest.raises(ReviewError) as refused:
        entry_approve(entry=entry, user=editor, seen_revision=1)
    assert (refused.value.code, refused.value.current.number, refused.value.changed) == ("changed_since_read", 2, ["title_zh"])
    assert Entry.objects.get(pk=entry.pk).state == Entry.State.IN_REVIEW


def test_only_editors_may_review(entry, db):
    outsider = user_in(None, "visitor")
    with pytest.raises(PermissionDenied):
        entry_approve(entry=entry, user=outsider)
    with pytest.raises(PermissionDenied):
        entry_reject(entry=entry, user=None)


def test_every_save_is_a_revision_with_author_and_changed_fields(entry, editor, django_capture_on_commit_callbacks):
    revision = save(entry, editor, 1, django_capture_on_commit_callbacks, abstract_zh="改过的摘要", title_zh="改过的标题")
    assert (revision.number, revision.author, revision.changed_fields) == (2, editor, ["title_zh", "abstract_zh"])
    assert revision.method_md == Revision.objects.get(paper=entry.paper, number=1).method_md
    assert save(entry, editor, 2, django_capture_on_commit_callbacks, abstract_zh="改过的摘要") is None, "no change, no revision"


def test_second_editor_saving_a_stale_form_is_refused_and_told_what_changed(
    entry, editor, other_editor, django_capture_on_commit_callbacks
):
    save(entry, editor, 1, django_capture_on_commit_callbacks, method_md="- 编辑一改的方法")
    with pytest.raises(StaleEdit) as refused:
        save(entry, other_editor, 1, django_capture_on_commit_callbacks, method_md="- 编辑二改的方法")
    assert refused.value.changed == ["method_md"] and "editor saved revision 2" in str(refused.value)
    assert text_current(entry.paper).method_md == "- 编辑一改的方法"
    assert Revision.objects.filter(paper=entry.paper).count() == 2


def test_editing_approved_text_sends_the_entry_back_to_review(entry, editor, django_capture_on_commit_callbacks):
    entry_approve(entry=entry, user=editor, seen_revision=1)
    save(entry, editor, 1, django_capture_on_commit_callbacks, results_md="- 新结果")
    entry.refresh_from_db()
    assert entry.state == Entry.State.IN_REVIEW and entry.approved_revision is None


def test_restoring_an_old_revision_adds_a_new_one(entry, editor, django_capture_on_commit_callbacks):
    save(entry, editor, 1, django_capture_on_commit_callbacks, abstract_zh="第二版")
    with django_capture_on_commit_callbacks(execute=True):
        restored = revision_restore(revision=Revision.objects.get(paper=entry.paper, number=1), author=editor, base_number=2)
    assert restored.number == 3 and restored.restored_from.number == 1
    assert restored.abstract_zh == Revision.objects.get(paper=entry.paper, number=1).abstract_zh
    assert Revision.objects.filter(paper=entry.paper).count() == 3


def test_drafting_again_never_replaces_human_text_but_can_be_adopted(entry, editor, django_capture_on_commit_callbacks):
    save(entry, editor, 1, django_capture_on_commit_callbacks, abstract_zh="编辑写的摘要")
    redraft = MachineDraft.objects.create(
        paper=entry.paper, paper_version=1, status="succeeded", abstract_zh="新机器摘要", method_md="- 新机器方法"
    )
    assert text_start_from_draft(draft=redraft) is None
    assert text_current(entry.paper).abstract_zh == "编辑写的摘要"
    with django_capture_on_commit_callbacks(execute=True):
        adopted = revision_adopt_from_draft(draft=redraft, fields=["method_md"], author=editor, base_number=2)
    assert (adopted.method_md, adopted.abstract_zh, adopted.from_draft) == ("- 新机器方法", "编辑写的摘要", redraft)


def redraft(entry, **text):
    return MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded", **text)


def test_a_person_edit_made_before_adopting_another_section_is_never_offered_away(
    entry, editor, django_capture_on_commit_callbacks
):
    save(entry, editor, 1, django_capture_on_commit_callbacks, method_md="- 编辑改的方法")
    second = redraft(entry, background_md="- 第二稿背景", method_md="- 第二稿方法")
    with django_capture_on_commit_callbacks(execute=True):
        revision_adopt_from_draft(draft=second, fields=["background_md"], author=editor, base_number=2)
    third = redraft(entry, background_md="- 第三稿背景", method_md="- 第三稿方法", results_md="- 第三稿结果")

    offer = draft_offer(draft=third, current=text_current(entry.paper))
    assert offer.sections == ["background_md", "results_md"]
    assert list(offer.kept) == ["method_md"] and offer.kept["method_md"][0].number == 2
    with pytest.raises(SectionsEditedByPeople) as refused:
        revision_adopt_from_draft(draft=third, fields=["method_md"], author=editor, base_number=3)
    assert list(refused.value.edits) == ["method_md"]
    assert text_current(entry.paper).method_md == "- 编辑改的方法"


def test_the_draft_the_text_started_from_offers_nothing(entry, editor, django_capture_on_commit_callbacks):
    first_draft = entry.paper.machine_drafts.get()
    assert draft_offer(draft=first_draft, current=text_current(entry.paper)) is None
    save(entry, editor, 1, django_capture_on_commit_callbacks, abstract_zh="编辑改的摘要", results_md="")
    assert draft_offer(draft=first_draft, current=text_current(entry.paper)) is None


def test_roles_are_created_with_the_right_permissions(db):
    editor = user_in("Editor", "e")
    chief = user_in("Chief editor", "c")
    assert editor.has_perm(REVIEW_ENTRY) and not editor.has_perm(PUBLISH_DAY)
    assert chief.has_perm(REVIEW_ENTRY) and chief.has_perm(PUBLISH_DAY)


def test_digest_status_counts_entries_by_state(entry, editor):
    entry_approve(entry=entry, user=editor)
    out = StringIO()
    call_command("digest_status", "--date", "2026-01-09", "--json", stdout=out)
    assert json.loads(out.getvalue())["entries"] == {"awaiting_draft": 5, "in_review": 0, "approved": 1, "rejected": 0}


def test_a_draft_of_a_newer_arxiv_version_is_offered_for_text_people_wrote_for_the_old_one(
    entry, editor, django_capture_on_commit_callbacks
):
    """Found by the terminology benchmark: after a new arXiv version, a source-changed entry's new draft
    (memory keeping the unchanged sentences) could never be adopted, since people had edited the abstract."""
    save(entry, editor, 1, django_capture_on_commit_callbacks, abstract_zh="编辑为第一版写的摘要", method_md="- 编辑的方法")
    same_version = redraft(entry, abstract_zh="第一版的新机器摘要")
    offer = draft_offer(draft=same_version, current=text_current(entry.paper))
    assert offer.sections == [] and list(offer.kept) == ["abstract_zh"]

    newer_version = MachineDraft.objects.create(paper=entry.paper, paper_version=2, status="succeeded",
                                                abstract_zh="第二版的机器摘要")
    offer = draft_offer(draft=newer_version, current=text_current(entry.paper))
    assert (offer.sections, offer.replacing, offer.kept) == (["abstract_zh"], ("abstract_zh",), {})
    with django_capture_on_commit_callbacks(execute=True):
        adopted = revision_adopt_from_draft(draft=newer_version, fields=["abstract_zh"], author=editor, base_number=2)
    assert (adopted.abstract_zh, adopted.method_md) == ("第二版的机器摘要", "- 编辑的方法")
    assert Revision.objects.get(paper=entry.paper, number=2).abstract_zh == "编辑为第一版写的摘要"  # kept
