"""Approving despite a check error does not teach the memory the error: the segments the error touches
are held (never reused by drafting, never offered on the review page) until an editor confirms them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing.review.services import entry_approve
from tests.builders import edit, user_in
from translations.memory import (
    MemoryUnitNotHeld,
    memory_close_matches,
    memory_reuse_exact,
    memory_unit_confirm,
)
from translations.models import GlossaryTerm, MemoryUnit
from translations.revisions import text_current

CHORD_SENTENCE = "We condition a latent diffusion model on a chord chart as well as text, through a chord encoder aligned to beats."
WRONG = "我们让潜在扩散模型同时以和弦图表和文本为条件，通过与节拍对齐的和弦编码器注入和弦信息。"


@pytest.fixture
def chord_entry(drafted_day, editor, django_capture_on_commit_callbacks):
    """The demo's chord-chart paper, its abstract's second sentence edited to the forbidden 和弦图表."""
    GlossaryTerm.objects.create(term="chord chart", kind=GlossaryTerm.Kind.PREFERRED, rendering="和弦谱",
                                forbidden=["和弦图表"])
    entry = drafted_day.entries.select_related("paper").get(paper__arxiv_id="2601.90003")
    abstract = text_current(entry.paper).abstract_zh
    first, second, third = [sentence + "。" for sentence in abstract.split("。") if sentence]
    edit(entry, editor, django_capture_on_commit_callbacks, abstract_zh=first + WRONG + third)
    assert [f["check"] for f in text_current(entry.paper).checks] == ["glossary_forbidden"]
    return entry


def test_the_sentence_approved_over_an_error_is_held_and_the_rest_is_reusable(chord_entry, editor):
    entry_approve(entry=chord_entry, user=editor, despite_errors=True)
    units = MemoryUnit.objects.filter(paper=chord_entry.paper)
    held = units.get(target=WRONG)
    assert held.reusable is False and held.held_for == ["glossary_forbidden"]
    assert held.source == CHORD_SENTENCE
    others = units.exclude(pk=held.pk)
    assert others.count() == 3 and all(unit.reusable for unit in others)  # the title and two sentences
    assert list(MemoryUnit.objects.held()) == [held]


def test_a_held_sentence_is_neither_reused_by_drafting_nor_offered(chord_entry, editor):
    entry_approve(entry=chord_entry, user=editor, despite_errors=True)
    reuse = memory_reuse_exact(title_en="Another paper", abstract_en=CHORD_SENTENCE + " A second sentence here.",
                               title_zh="另一篇", abstract_zh="模型自己的译文。第二句。")
    assert WRONG not in reuse.abstract_zh and reuse.abstract_zh == "模型自己的译文。第二句。"
    assert memory_close_matches("abstract_sentence", CHORD_SENTENCE.replace("beats", "the beat")) == []


def test_a_confirmed_unit_is_reused_and_offered(chord_entry, editor):
    entry_approve(entry=chord_entry, user=editor, despite_errors=True)
    held = MemoryUnit.objects.get(target=WRONG)
    close = CHORD_SENTENCE.replace("beats", "the beat")
    assert memory_close_matches("abstract_sentence", close) == []  # the index is read before confirming
    memory_unit_confirm(unit=held, user=editor)
    held.refresh_from_db()
    assert held.reusable and held.confirmed_by == editor and held.confirmed_at is not None
    assert held.held_for == ["glossary_forbidden"], "what it was held for stays on record"
    assert [match.unit for match in memory_close_matches("abstract_sentence", close)] == [held]
    reuse = memory_reuse_exact(title_en="x", abstract_en=CHORD_SENTENCE, title_zh="x", abstract_zh="模型的译文。")
    assert reuse.abstract_zh == WRONG
    with pytest.raises(MemoryUnitNotHeld):
        memory_unit_confirm(unit=held, user=editor)


def test_approval_without_errors_stores_every_segment_reusable(drafted_day, editor):
    entry = drafted_day.entries.select_related("paper").get(paper__arxiv_id="2601.90003")
    entry_approve(entry=entry, user=editor)
    assert MemoryUnit.objects.filter(paper=entry.paper).count() == 4
    assert not MemoryUnit.objects.held().exists()


def test_a_finding_no_span_points_at_holds_its_whole_field(drafted_day, editor):
    """A check that could not run (no field) or a missing term (no span) bears on every segment it may concern."""
    from translations.memory import memory_store_revision

    entry = drafted_day.entries.select_related("paper").get(paper__arxiv_id="2601.90003")
    revision = text_current(entry.paper)
    memory_store_revision(paper=entry.paper, revision=revision, overridden=[
        {"check": "glossary_keep_english", "field": "title_zh", "start": None, "end": None, "message": ""}])
    assert list(MemoryUnit.objects.held().values_list("kind", flat=True)) == ["title"]
    MemoryUnit.objects.all().delete()
    memory_store_revision(paper=entry.paper, revision=revision, overridden=[
        {"check": "tex_mismatch", "field": "", "start": None, "end": None, "message": ""}])
    assert MemoryUnit.objects.held().count() == 4


def test_the_memory_admin_lists_held_units_and_editors_confirm_them(chord_entry, editor, client):
    entry_approve(entry=chord_entry, user=editor, despite_errors=True)
    held = MemoryUnit.objects.get(target=WRONG)
    client.force_login(editor)
    url = reverse("admin:translations_memoryunit_changelist")
    page = client.get(url, {"reusable__exact": "0"}).content.decode()
    assert WRONG in page and "和弦谱" not in page.split("result_list")[1]
    response = client.post(url, {"action": "confirm_units", "_selected_action": [held.pk]}, follow=True)
    assert response.status_code == 200
    held.refresh_from_db()
    assert held.reusable and held.confirmed_by == editor
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.get(object_id=str(held.pk)).change_message == "Confirmed as reusable"


def test_a_reader_of_the_memory_without_the_permission_cannot_confirm(chord_entry, editor):
    from django.core.exceptions import PermissionDenied

    entry_approve(entry=chord_entry, user=editor, despite_errors=True)
    nobody = user_in(None, "nobody")
    with pytest.raises(PermissionDenied):
        memory_unit_confirm(unit=MemoryUnit.objects.get(target=WRONG), user=nobody)


def test_export_leaves_held_units_out_unless_asked(chord_entry, editor, tmp_path):
    from django.core.management import call_command

    entry_approve(entry=chord_entry, user=editor, despite_errors=True)
    call_command("export_memory", out=str(tmp_path / "memory.tmx"))
    assert WRONG not in (tmp_path / "memory.tmx").read_text(encoding="utf-8")
    call_command("export_memory", out=str(tmp_path / "all.tmx"), include_held=True)
    assert WRONG in (tmp_path / "all.tmx").read_text(encoding="utf-8")
