"""What the review pages show, read by their selectors (publishing.review.pages) without a request."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.utils import translation

from publishing.models import Entry
from publishing.review.forms import text_label
from publishing.review.pages import (
    PREVIEWED_SECTIONS,
    DayEntryRow,
    PersonChange,
    day_review_page,
    entry_review_page,
    entry_revisions_page,
    page_context,
)
from publishing.review.services import entry_approve, entry_reject
from tests.builders import demo_day_collected, demo_texts_recorded
from translations.models import MachineDraft, Revision
from translations.revisions import StaleEdit, revision_save, text_current


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def entries(db, django_capture_on_commit_callbacks):
    day = demo_day_collected()
    with django_capture_on_commit_callbacks(execute=True):
        demo_texts_recorded(day)
    return list(day.entries.select_related("paper", "day").order_by("position"))


def saved(entry, user, **text) -> Revision:
    return revision_save(paper=entry.paper, author=user, text=text, base_number=text_current(entry.paper).number)


def test_the_entry_page_of_a_machine_draft_shows_its_text_draft_and_next_entry(entries):
    page = entry_review_page(entry=entries[0])
    assert page.title == "Review 2601.90008v1" and page.paper == entries[0].paper
    assert page.current.number == 1 and page.latest_draft == entries[0].paper.machine_drafts.get()
    assert page.people_changes == [] and page.stale_diffs == [] and page.offer is None
    assert [label for label, _html in page.previews] == [text_label(name) for name in PREVIEWED_SECTIONS]
    assert page.next_entry == entries[1]
    assert page.has_errors is False


def test_the_entry_page_lists_who_changed_what_in_the_sites_time_zone(entries, editor):
    revision = saved(entries[0], editor, title_zh="新标题", method_md="- 新方法")
    Revision.objects.filter(pk=revision.pk).update(created_at=dt.datetime(2026, 1, 9, 17, 11, tzinfo=dt.UTC))
    page = entry_review_page(entry=entries[0])
    assert page.people_changes == [
        PersonChange(number=2, who="editor", time="2026-01-10 01:11", labels="Chinese title, Method", how="")]


def test_after_a_stale_save_the_entry_page_shows_what_the_other_editor_changed(entries, editor):
    saved(entries[0], editor, method_md="- 另一位编辑的方法")
    stale = StaleEdit(current=text_current(entries[0].paper), base_number=1)
    page = entry_review_page(entry=entries[0], stale=stale)
    assert [label for label, _diff in page.stale_diffs] == ["Method"]
    assert 'class="diff-ins"' in page.stale_diffs[0][1]


def test_the_entry_page_offers_a_newer_drafts_sections_no_person_changed(entries, editor):
    saved(entries[0], editor, abstract_zh="编辑写的摘要")
    redraft = MachineDraft.objects.create(paper=entries[0].paper, paper_version=1, status="succeeded",
                                          abstract_zh="新机器摘要", method_md="- 新机器方法")
    page = entry_review_page(entry=entries[0])
    assert page.offer.draft == redraft
    assert [(name, label) for name, label, _diff in page.offered_sections] == [("method_md", "Method")]
    assert page.kept_sections == ["Chinese abstract: edited by editor since the machine draft; not offered."]


def test_a_page_is_frozen_and_its_fields_are_the_templates_names(entries):
    page = entry_review_page(entry=entries[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.current = None
    assert set(page_context(page)) == {
        "title", "entry", "paper", "current", "findings", "has_errors", "latest_draft", "offer", "offered_sections",
        "kept_sections", "people_changes", "stale_diffs", "previews", "next_entry", "memory_suggestions",
        "memory_note", "source_changes", "glossary_terms", "in_digests", "approved_elsewhere",
    }


def test_the_history_compares_the_first_draft_with_the_newest_revision_unless_told(entries, editor):
    saved(entries[0], editor, title_zh="新标题")
    draft = entries[0].paper.machine_drafts.get()
    page = entry_revisions_page(entry=entries[0])
    assert (page.a_key, page.b_key, page.compared, page.base_revision) == (f"d{draft.pk}", "r2", True, 2)
    assert [label for label, _diff in page.diffs] == ["Chinese title"]
    assert [(revision.number, revision.changed_labels, revision.note) for revision in page.revisions] == [
        (2, ["Chinese title"], ""), (1, [text_label(name) for name in Revision.TEXT_FIELDS], f"machine draft #{draft.pk}")]
    assert page.review_url == f"/admin/publishing/entry/{entries[0].pk}/review/"

    chosen = entry_revisions_page(entry=entries[0], a_key="r2", b_key="r2")
    assert (chosen.a_key, chosen.b_key, chosen.compared, chosen.diffs) == ("r2", "r2", True, [])
    nothing = entry_revisions_page(entry=entries[0], a_key="", b_key="")
    assert (nothing.compared, nothing.diffs) == (False, [])
    missing = entry_revisions_page(entry=entries[0], a_key="r9")
    assert (missing.b_key, missing.compared) == ("r2", False)


def test_the_history_of_a_paper_without_text_compares_nothing(db):
    waiting = demo_day_collected().entries.select_related("paper").get(position=1)
    page = entry_revisions_page(entry=waiting)
    assert (page.revisions, page.a_key, page.b_key, page.compared, page.base_revision) == ([], "", "", False, 0)


def test_the_day_page_has_a_row_per_entry_in_order_with_its_revision_checks_and_draft(entries, editor):
    entry_approve(entry=entries[0], user=editor)
    entry_reject(entry=entries[1], user=editor)
    saved(entries[2], editor, abstract_zh="$T_{60 " + text_current(entries[2].paper).abstract_zh)  # a lone $: an error
    page = day_review_page(day=entries[0].day)
    assert page.title == f"Review {entries[0].day}"
    assert [row.entry for row in page.rows] == entries
    assert [row.revision for row in page.rows[:3]] == [1, 1, 2]
    assert all(isinstance(row, DayEntryRow) and row.draft is not None for row in page.rows)
    assert page.rows[0].checks == {"error": 0, "warning": 0} and page.rows[2].checks["error"] > 0
    assert (page.approved, page.not_reviewed) == (1, 4)
    assert page.publications == [] and page.unpublished_changes == [] and page.flag_history == []
    assert page.newer_versions == {"published": [], "approved": []}


def test_the_day_page_of_entries_awaiting_drafts_shows_no_text_and_no_checks(db):
    day = demo_day_collected()
    page = day_review_page(day=day)
    assert {(row.revision, row.checks, row.draft) for row in page.rows} == {(None, None, None)}
    assert page.not_reviewed == len(page.rows) and page.rows[0].entry.state == Entry.State.AWAITING_DRAFT

