"""The translation memory: approvals store segments, drafting reuses exact ones, close ones are found."""

import json
import time

from publishing.review.services import entry_approve
from tests.openai_stub import GOOD_DRAFT, draft_reply
from tests.translations.test_drafting import llm, make_paper, run_draft  # noqa: F401 (fixture)
from translations.memory import memory_close_matches, memory_import_units, memory_store_revision, source_hash
from translations.models import MemoryUnit
from translations.revisions import text_current

ABSTRACT = (
    "Audio-language models classify sounds zero-shot but are sensitive to prompt wording. "
    "We weight prompts by minimising prediction entropy, improving accuracy by up to 1.4% on five datasets."
)
APPROVED_TITLE = "基于预测熵的提示加权（已审定）"
APPROVED_SENTENCES = ["音频-语言模型能零样本分类声音，但对提示措辞敏感。", "我们按最小化预测熵为提示加权，在五个数据集上准确率最多提升 1.4%。"]


def test_an_approval_stores_title_and_aligned_sentences_once(drafted_day, editor):
    entry = drafted_day.entries.select_related("paper").first()
    entry_approve(entry=entry, user=editor)
    revision = text_current(entry.paper)
    units = MemoryUnit.objects.filter(paper=entry.paper)
    kinds = sorted(units.values_list("kind", flat=True))
    assert kinds.count("title") == 1
    assert units.get(kind="title").target == revision.title_zh
    assert all(unit.revision == revision and unit.origin == "approved" for unit in units)
    # Storing the same revision again adds nothing.
    assert memory_store_revision(paper=entry.paper, revision=revision) == 0
    assert MemoryUnit.objects.filter(paper=entry.paper).count() == len(kinds)


def _approved_paper(*, arxiv_id="2601.00001", title="Prompt Weighting by Entropy", abstract=ABSTRACT):
    paper = make_paper(arxiv_id=arxiv_id, title=title, abstract=abstract)
    memory_import_units(pairs=[("title", title, APPROVED_TITLE, "")]
                        + [("abstract_sentence", en, zh, "") for en, zh in
                           zip(["Audio-language models classify sounds zero-shot but are sensitive to prompt wording.",
                                "We weight prompts by minimising prediction entropy, improving accuracy by up to 1.4% "
                                "on five datasets."], APPROVED_SENTENCES, strict=True)])
    return paper


def test_drafting_reuses_exact_title_and_sentences_and_marks_them(llm, db, editor, django_capture_on_commit_callbacks):  # noqa: F811
    _approved_paper()
    # A new paper with the same title and the same first sentence; its second sentence is new.
    paper = make_paper(arxiv_id="2601.00002", title="Prompt  Weighting by\nEntropy",
                       abstract="Audio-language models classify sounds zero-shot but are sensitive to prompt wording. "
                                "A new second sentence says something else entirely here.")
    llm.queue.append(draft_reply({**GOOD_DRAFT, "abstract_zh": "模型第一句。全新的第二句。"}))
    draft = run_draft(paper)
    assert draft.title_zh == APPROVED_TITLE
    assert draft.abstract_zh == APPROVED_SENTENCES[0] + "全新的第二句。"
    marker = next(w for w in draft.warnings if w["kind"] == "memory_exact")
    assert [(s["field"], s.get("sentence")) for s in marker["segments"]] == [("title_zh", None), ("abstract_zh", 1)]
    assert "标题" in marker["message"] and "第 1 句" in marker["message"]


def test_drafting_with_every_sentence_held_takes_the_memory_abstract(llm, db, editor, django_capture_on_commit_callbacks):  # noqa: F811
    _approved_paper()
    paper = make_paper(arxiv_id="2601.00003", title="Another title", abstract=ABSTRACT)
    llm.queue.append(draft_reply({**GOOD_DRAFT, "abstract_zh": "一整段没有句号的译文"}))
    draft = run_draft(paper)
    assert draft.abstract_zh == "".join(APPROVED_SENTENCES)
    assert draft.title_zh == GOOD_DRAFT["title_zh"]


def test_drafting_without_memory_changes_nothing(llm, db):  # noqa: F811
    llm.queue.append(draft_reply())
    draft = run_draft(make_paper())
    assert draft.abstract_zh == GOOD_DRAFT["abstract_zh"]
    assert not [w for w in draft.warnings if w["kind"] == "memory_exact"]


def test_close_matches_score_above_85_and_skip_far_ones(db):
    memory_import_units(pairs=[
        ("abstract_sentence", "We weight prompts by minimising prediction entropy on five datasets.", "甲。", ""),
        ("abstract_sentence", "Something entirely unrelated to prompts or entropy at all, really.", "乙。", ""),
        ("title", "We weight prompts by minimising prediction entropy on five datasets.", "丙", ""),
    ])
    matches = memory_close_matches("abstract_sentence", "We weight prompts by minimizing prediction entropy on six datasets.")
    assert [match.unit.target for match in matches] == ["甲。"]
    assert 85 <= matches[0].score < 100 and not matches[0].exact
    assert memory_close_matches("abstract_sentence", "") == []


def test_the_newest_translation_of_a_source_wins(db):
    memory_import_units(pairs=[("title", "A title", "旧译", "")])
    memory_import_units(pairs=[("title", "A title", "新译", "")])
    assert MemoryUnit.objects.for_source(source_hash("A  title")).first().target == "新译"
    assert [m.unit.target for m in memory_close_matches("title", "A title")] == ["新译"]


def test_close_match_lookup_is_fast_with_many_units(db):
    words = "speech audio model codec vocoder neural signal enhancement separation source noise robust".split()
    pairs = [("abstract_sentence", " ".join(words[(i * 7 + k) % len(words)] for k in range(12)) + f" number {i}.",
              f"句子{i}。", "") for i in range(5000)]
    memory_import_units(pairs=pairs)
    start = time.perf_counter()
    for i in range(20):
        memory_close_matches("abstract_sentence", pairs[i * 100][1].replace("number", "item"))
    per_lookup = (time.perf_counter() - start) / 20
    assert per_lookup < 0.25, per_lookup
    print(json.dumps({"units": 5000, "ms_per_lookup": round(per_lookup * 1000, 1)}))


def test_a_deleted_unit_is_not_offered_and_a_new_one_is(db):
    text = "Neural codecs compress speech at very low bitrates with adversarial training."
    memory_import_units(pairs=[("abstract_sentence", text, "旧。", "")])
    assert [m.unit.target for m in memory_close_matches("abstract_sentence", text)] == ["旧。"]
    MemoryUnit.objects.all().delete()
    assert memory_close_matches("abstract_sentence", text) == []
    memory_import_units(pairs=[("abstract_sentence", text.replace("very low", "low"), "新。", "")])
    assert [m.unit.target for m in memory_close_matches("abstract_sentence", text)] == ["新。"]


def test_ids_given_again_after_a_rollback_do_not_hide_the_new_units(db):
    """SQLite gives a rolled-back id again: the index had read ids 1–3 of another test's (rolled-back)
    units, and when this memory grew past them it read only the rows after 3, never the new 1–3."""
    from django.db import transaction

    from translations.memory import _indexes

    with transaction.atomic():
        memory_import_units(pairs=[("abstract_sentence", f"Rolled back sentence number {n}.", "回滚。", "")
                                   for n in range(3)])
        assert memory_close_matches("abstract_sentence", "Rolled back sentence number 1.")
        transaction.set_rollback(True)
    memory_import_units(pairs=[
        ("abstract_sentence", "We weight prompts by minimising prediction entropy on five datasets.", "甲。", ""),
        *[("abstract_sentence", f"Filler sentence about codecs number {n}.", "填充。", "") for n in range(4)],
    ])
    assert _indexes["abstract_sentence"].newest[0] > 0
    matches = memory_close_matches("abstract_sentence", "We weight prompts by minimizing prediction entropy on six datasets.")
    assert [match.unit.target for match in matches] == ["甲。"]
