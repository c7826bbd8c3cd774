"""Suggested terms: the same correction by editors in three approved entries proposes a glossary term."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import translation

from publishing.review.services import entry_approve, entry_reopen
from tests.builders import edit
from translations.models import GlossaryTerm, MachineDraft, Revision, SuggestedTerm, TermCorrection
from translations.revisions import text_current
from translations.suggestions import (
    Correction,
    SuggestionError,
    suggestion_accept,
    suggestion_dismiss,
    term_corrections,
)

MACHINE = "我们使用法学硕士（LLM）生成语音词元（speech tokens），并用波束搜索（beam search）解码。"
EDITED = "我们使用大语言模型（LLM）生成语音词元（speech tokens），并用束搜索（beam search）解码。"


def test_a_bracketed_english_term_pairs_the_machine_rendering_with_the_editors():
    assert term_corrections({"abstract_zh": MACHINE}, {"abstract_zh": EDITED}) == [
        Correction("LLM", "法学硕士", "大语言模型", "我们使用法学硕士", "我们使用大语言模型", "abstract_zh"),
        Correction("beam search", "波束搜索", "束搜索", "并用波束搜索", "并用束搜索", "abstract_zh"),
    ]


def test_a_term_that_begins_alike_is_whole_in_the_suggestion(drafted_day, editor, django_capture_on_commit_callbacks):
    """平均意见得分 → 平均意见分 changes only 得 (the beginning is shared); the examples' common
    ending gives the whole term, without any one sentence's context."""
    contexts = ["本文以", "结果显示", "并报告"]
    entries = list(drafted_day.entries.select_related("paper").order_by("position"))[:3]
    for entry, context in zip(entries, contexts, strict=True):
        correct_and_approve(entry, editor, django_capture_on_commit_callbacks,
                            machine=f"{context}平均意见得分（MOS）评估。", edited=f"{context}平均意见分（MOS）评估。")
    suggestion = SuggestedTerm.objects.get()
    assert (suggestion.machine_change, suggestion.editor_change, suggestion.entries) == ("得分", "分", 3)
    assert (suggestion.machine_rendering, suggestion.rendering) == ("平均意见得分", "平均意见分")


@pytest.mark.parametrize(
    "machine, edited",
    [
        ("我们提出的法学硕士（LLM）", "我们提出的法学硕士（LLM）"),  # unchanged
        ("该法学硕士（LLM）", "法学硕士（LLM）"),  # only the context before the term changed
        ("我们用法学硕士（LLM）", "我们用大语言模型生成了一个非常长的改写句子的结果（LLM）"),  # a rewrite, not a term
        ("法学硕士（LLM）", "大语言模型"),  # the bracket was dropped: no anchor to pair
    ],
)
def test_no_correction_without_a_changed_term_before_the_same_bracket(machine, edited):
    assert term_corrections({"method_md": machine}, {"method_md": edited}) == []


def test_context_up_to_a_particle_is_not_part_of_the_rendering():
    found = term_corrections({"method_md": "- 新提出的令牌（token）化方法"}, {"method_md": "- 新提出的词元（token）化方法"})
    assert [(c.machine_change, c.editor_change, c.machine_rendering) for c in found] == [("令牌", "词元", "令牌")]
    found = term_corrections({"method_md": "将是法学硕士（LLMs）"}, {"method_md": "将是大语言模型（LLM）"})
    assert [(c.source, c.machine_change, c.editor_change) for c in found] == [("LLMs", "法学硕士", "大语言模型")]


def correct_and_approve(entry, editor, capture, machine=MACHINE, edited=EDITED):
    """The paper gets a machine draft with `machine` as its abstract (adopted as its text), an editor
    writes `edited`, and the entry is approved."""
    paper = entry.paper
    draft = MachineDraft.objects.create(paper=paper, paper_version=paper.version, status="succeeded",
                                        **{**text_current(paper).text(), "abstract_zh": machine})
    current = text_current(paper)
    Revision.objects.create(paper=paper, number=current.number + 1, from_draft=draft, **draft.text())
    edit(entry, editor, capture, abstract_zh=edited)
    return entry_approve(entry=entry, user=editor)


def test_three_approved_entries_with_the_same_correction_propose_a_term(drafted_day, editor,
                                                                         django_capture_on_commit_callbacks):
    entries = list(drafted_day.entries.select_related("paper").order_by("position"))
    correct_and_approve(entries[0], editor, django_capture_on_commit_callbacks)
    correct_and_approve(entries[1], editor, django_capture_on_commit_callbacks)
    assert TermCorrection.objects.filter(source_key="llm").count() == 2
    assert not SuggestedTerm.objects.exists(), "two entries are not yet a pattern"

    correct_and_approve(entries[2], editor, django_capture_on_commit_callbacks)

    suggestions = {s.source: s for s in SuggestedTerm.objects.all()}
    assert set(suggestions) == {"LLM", "beam search"}
    llm = suggestions["LLM"]
    assert (llm.machine_rendering, llm.rendering, llm.entries, llm.status) == ("法学硕士", "大语言模型", 3, "pending")
    assert {c.paper.arxiv_id for c in llm.corrections()} == {e.paper.arxiv_id for e in entries[:3]}


def test_approving_again_counts_an_entry_once_and_a_glossary_term_is_not_suggested(
        drafted_day, editor, django_capture_on_commit_callbacks):
    GlossaryTerm.objects.create(term="beam search", rendering="束搜索")
    entries = list(drafted_day.entries.select_related("paper").order_by("position"))
    for entry in entries[:3]:
        correct_and_approve(entry, editor, django_capture_on_commit_callbacks)
    entry_reopen(entry=entries[0], user=editor)
    entry_approve(entry=entries[0], user=editor)
    assert [(s.source, s.entries) for s in SuggestedTerm.objects.all()] == [("LLM", 3)]


def test_a_chief_editor_accepts_in_one_step_and_the_machine_rendering_becomes_forbidden(
        drafted_day, editor, chief, django_capture_on_commit_callbacks):
    for entry in list(drafted_day.entries.select_related("paper").order_by("position"))[:3]:
        correct_and_approve(entry, editor, django_capture_on_commit_callbacks)
    llm = SuggestedTerm.objects.get(source="LLM")
    with pytest.raises(PermissionDenied):
        suggestion_accept(suggestion=llm, user=editor)

    term = suggestion_accept(suggestion=llm, user=chief)

    assert (term.term, term.kind, term.rendering, term.forbidden) == ("LLM", "preferred", "大语言模型", ["法学硕士"])
    llm.refresh_from_db()
    assert (llm.status, llm.decided_by, llm.glossary_term) == ("accepted", chief, term)
    with translation.override("en"), pytest.raises(SuggestionError, match="already accepted"):
        suggestion_accept(suggestion=llm, user=chief)
    beam = suggestion_dismiss(suggestion=SuggestedTerm.objects.get(source="beam search"), user=chief)
    assert beam.status == "dismissed"


def test_accepting_a_term_withdraws_the_other_pending_changes_of_it(
        drafted_day, editor, chief, django_capture_on_commit_callbacks):
    """Editors who also drop a word before the term ("该法学硕士" → "大语言模型") make a second change
    of the same term; once the term is in the glossary, that one could only be refused."""
    machine, edited = "该法学硕士（LLM）很强。我们使用法学硕士（LLM）。", "大语言模型（LLM）很强。我们使用大语言模型（LLM）。"
    for entry in list(drafted_day.entries.select_related("paper").order_by("position"))[:3]:
        correct_and_approve(entry, editor, django_capture_on_commit_callbacks, machine=machine, edited=edited)
    changes = dict(SuggestedTerm.objects.filter(source="LLM").values_list("machine_change", "status"))
    assert changes == {"该法学硕士": "pending", "法学硕士": "pending"}

    suggestion_accept(suggestion=SuggestedTerm.objects.get(machine_change="法学硕士"), user=chief)

    assert list(SuggestedTerm.objects.filter(source="LLM").values_list("machine_change", "status")) == [
        ("法学硕士", "accepted")]


def test_the_rebuild_command_finds_the_same_suggestions_and_keeps_decisions(
        drafted_day, editor, chief, django_capture_on_commit_callbacks):
    for entry in list(drafted_day.entries.select_related("paper").order_by("position"))[:3]:
        correct_and_approve(entry, editor, django_capture_on_commit_callbacks)
    suggestion_dismiss(suggestion=SuggestedTerm.objects.get(source="beam search"), user=chief)
    out = StringIO()
    call_command("rebuild_term_suggestions", stdout=out)
    assert "6 corrections found, 1 suggestions pending" in out.getvalue()
    assert dict(SuggestedTerm.objects.values_list("source", "status")) == {"LLM": "pending", "beam search": "dismissed"}
