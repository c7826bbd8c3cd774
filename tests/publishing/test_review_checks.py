"""The quality checks where editors meet them: the review page (findings, marked spans, escaped),
approval despite errors (confirmed, kept, logged), the day page's column and the figures by check."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from publishing.models import Entry
from publishing.review.check_display import marked_excerpt
from publishing.review.figures import post_editing_by_check
from publishing.review.services import CheckErrorsNotConfirmed, entry_approve, entry_reopen
from tests.builders import DEMO_DRAFTS, demo_day_collected, user_in
from translations.models import Revision
from translations.revisions import revision_save, text_current
from translations.services import draft_record_demo

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def entries(db, django_capture_on_commit_callbacks):
    day = demo_day_collected()
    with django_capture_on_commit_callbacks(execute=True):
        for entry in day.entries.select_related("paper"):
            fields = DEMO_DRAFTS[entry.paper.arxiv_id]
            if entry.position == 1:  # the machine put a number in the results that the paper never states
                fields = {**fields, "results": fields["results"] + "\n- **补充**：在 731 个片段上评测。"}
            draft_record_demo(paper=entry.paper, fields=fields)
    return list(day.entries.select_related("paper").order_by("position"))


@pytest.fixture
def editor(db):
    return user_in("Editor", "editor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def review_url(entry):
    return reverse("admin:publishing_entry_review", args=[entry.pk])


def break_tex(entry, editor, capture, prefix=HOSTILE) -> Revision:
    """An editor's save that leaves a lone $ in the abstract (an error-severity finding), after `prefix`."""
    current = text_current(entry.paper)
    with capture(execute=True):
        return revision_save(paper=entry.paper, author=editor, base_number=current.number,
                             text={"abstract_zh": prefix + " $T_{60" + current.abstract_zh})


def form_data(entry, **changes):
    revision = text_current(entry.paper)
    return {**revision.text(), "base_revision": revision.number, "comment": "", "editor_note": "", **changes}


def test_machine_draft_and_first_revision_carry_the_findings(entries):
    first = entries[0].paper
    draft = first.machine_drafts.get()
    assert [(f["check"], f["field"]) for f in draft.checks] == [("number_unverified", "results_md")]
    assert text_current(first).checks == draft.checks
    assert all(text_current(entry.paper).checks == [] for entry in entries[1:]), "the demo's own drafts pass"


def test_a_saved_revision_records_the_checks_on_its_text(entries, editor, django_capture_on_commit_callbacks):
    revision = break_tex(entries[1], editor, django_capture_on_commit_callbacks)
    tex = [f for f in revision.checks if f["check"] == "tex_mismatch"]
    assert {revision.abstract_zh[f["start"]:f["end"]] for f in tex} == {"$", "{"}
    revision.refresh_from_db()
    assert revision.checks and revision.checks[0]["field"] == "abstract_zh"


def test_review_page_lists_findings_with_the_span_marked_and_the_text_escaped(
    editor_client, entries, editor, django_capture_on_commit_callbacks
):
    break_tex(entries[1], editor, django_capture_on_commit_callbacks)
    page = editor_client.get(review_url(entries[1]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="checks"' in page and "TeX unbalanced or altered" in page
    assert "<mark>$</mark>" in page
    assert HOSTILE not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'id="despite-errors"' in page  # an error: the confirmation box is offered
    clean = editor_client.get(review_url(entries[2]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No check found anything in the current text." in clean and 'id="despite-errors"' not in clean


def test_marked_excerpt_escapes_everything_but_the_mark():
    text = "前文<b>加粗</b>" + "&" + "后文"
    html = marked_excerpt(text, text.index("&"), text.index("&") + 1, context=20)
    assert html == "前文&lt;b&gt;加粗&lt;/b&gt;<mark>&amp;</mark>后文"
    assert marked_excerpt(text, None, None) == "" and marked_excerpt(text, 3, 999) == ""


def test_approving_text_with_an_error_needs_confirmation_and_the_override_is_logged(
    editor_client, entries, editor, django_capture_on_commit_callbacks
):
    entry = entries[1]
    break_tex(entry, editor, django_capture_on_commit_callbacks)

    refused = editor_client.post(review_url(entry), form_data(entry, _approve="1"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 302 and refused["Location"] == review_url(entry)
    entry.refresh_from_db()
    assert entry.state == Entry.State.IN_REVIEW
    page = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "confirm to approve it despite them" in page

    editor_client.post(review_url(entry), form_data(entry, _approve="1", despite_errors="on"))
    entry.refresh_from_db()
    assert entry.state == Entry.State.APPROVED and entry.approved_despite_checks == ["tex_mismatch"]
    assert LogEntry.objects.filter(object_id=str(entry.pk), change_message="Approved revision 2 despite check errors: tex_mismatch").exists()


def test_warnings_alone_need_no_confirmation_and_reopening_clears_the_override(
    entries, editor, django_capture_on_commit_callbacks
):
    approved = entry_approve(entry=entries[0], user=editor)  # a number warning only
    assert approved.state == Entry.State.APPROVED and approved.approved_despite_checks == []

    break_tex(entries[1], editor, django_capture_on_commit_callbacks)
    with pytest.raises(CheckErrorsNotConfirmed) as refused:
        entry_approve(entry=entries[1], user=editor)
    assert [f["check"] for f in refused.value.errors] == ["tex_mismatch", "tex_mismatch"]
    entry = entry_approve(entry=entries[1], user=editor, despite_errors=True)
    assert entry.approved_despite_checks == ["tex_mismatch"]
    entry = entry_reopen(entry=entry, user=editor)
    assert entry.approved_despite_checks == [] and entry.approved_by is None


def test_a_text_saved_before_the_checks_is_checked_when_shown(entries, editor, django_capture_on_commit_callbacks):
    revision = break_tex(entries[1], editor, django_capture_on_commit_callbacks)
    Revision.objects.filter(pk=revision.pk).update(checks=None)  # as a row from before the migration
    with pytest.raises(CheckErrorsNotConfirmed):
        entry_approve(entry=entries[1], user=editor)


def test_day_page_counts_findings_per_entry_and_bulk_approval_needs_the_confirmation(
    editor_client, entries, editor, django_capture_on_commit_callbacks
):
    break_tex(entries[1], editor, django_capture_on_commit_callbacks)
    url = reverse("admin:publishing_digestday_review", args=[entries[0].day_id])
    page = editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cells = page.split('class="entry-checks"')[1:]
    assert "1 warning" in cells[0] and "2 errors" in cells[1] and "✓" in cells[2]

    seen = {f"seen-{entry.pk}": text_current(entry.paper).number for entry in entries}
    editor_client.post(url, {"entry": [entries[1].pk, entries[2].pk], **seen, "_approve": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    states = dict(Entry.objects.values_list("pk", "state"))
    assert states[entries[1].pk] == Entry.State.IN_REVIEW and states[entries[2].pk] == Entry.State.APPROVED

    editor_client.post(url, {"entry": [entries[1].pk], **seen, "_approve": "1", "despite_errors": "on"})
    entries[1].refresh_from_db()
    assert entries[1].state == Entry.State.APPROVED and entries[1].approved_despite_checks == ["tex_mismatch"]
    assert "approved despite errors" in editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_post_editing_figures_by_check_say_how_often_editors_cleared_a_finding(
    editor_client, entries, editor, django_capture_on_commit_callbacks
):
    first = entries[0]
    with django_capture_on_commit_callbacks(execute=True):  # the editor removes the unverified number
        revision_save(paper=first.paper, author=editor, base_number=1,
                      text={"results_md": DEMO_DRAFTS[first.paper.arxiv_id]["results"]})
    for entry in entries:
        entry_approve(entry=entry, user=editor)

    rows = {row.check: row for row in post_editing_by_check()}
    assert set(rows) == {"number_unverified", ""}
    assert (rows["number_unverified"].drafts, rows["number_unverified"].gone) == (1, 1)
    assert rows["number_unverified"].mean_changed_share > 0
    assert (rows[""].drafts, rows[""].mean_changed_share) == (5, 0.0)
    page = editor_client.get(reverse("admin:publishing_post_editing"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="post-editing-by-check"' in page and "Number not in the paper" in page


def test_machine_draft_admin_lists_the_drafts_findings(admin_client, entries):
    draft = entries[0].paper.machine_drafts.get()
    page = admin_client.get(reverse("admin:translations_machinedraft_change", args=[draft.pk]),
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Number not in the paper: 数字 731 未在论文原文中找到，请核对" in page
    listing = admin_client.get(reverse("admin:translations_machinedraft_changelist")).content.decode()
    assert "0 / 1" in listing
