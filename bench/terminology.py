"""Benchmark: what the terminology base and the translation memory change in drafts, and what matching costs.

    .venv/bin/python bench/terminology.py [--papers 100] [--terms 5000]

Steps: a fresh SQLite database in a temporary folder (or DATABASE_URL if set); N generated
items, the same for every run: new papers, each using four terms of the starter
speech-and-audio glossary that the simulated model gets wrong (法学硕士 for LLM, 令牌 for
token, 变压器 for Transformer, …), most with one or two of eight sentences many papers share
("Audio samples are available online."); and, about one item in five, a new arXiv version of
an earlier paper (the same row, the same title, one sentence's number changed, sometimes a
shared sentence added), drafted again. An OpenAI-compatible stub on 127.0.0.1 translates the
title and each abstract sentence in the model's wording, writes a term right only when the
prompt names its preferred rendering (or lists it as keep-English), and always keeps the
English in brackets. Each item is drafted through the real client (draft_run), then an editor
corrects it, as in real use: every wrong term, and the model's wording of the title and of
each abstract sentence polished into the editor's ("我们提出了一种将…相结合的方法" →
"本文提出一种结合…的方法"). Five runs:

1. no glossary (prompt draft-v1, glossary empty): the model's habits as they are;
2. learning from corrections (draft-v2, glossary empty at first): after each corrected
   paper its corrections are recorded (as approving does) and a chief editor accepts the
   pending suggested terms, so later papers' prompts carry what editors taught;
3. starter glossary (draft-v2, translations/data/glossary-speech-audio.csv imported);
4. no glossary + memory (draft-v1): each corrected paper is approved through
   entry_approve (a new version: its entry reopened, the new text saved, approved again),
   so the memory stores its title and sentences and later drafts reuse the exact matches;
5. starter glossary + memory (draft-v2): the same, with the starter glossary.

For each run it prints the share of drafts with a glossary error (judged against the
starter glossary: a preferred rendering missing, a forbidden one or the model's habit used
anywhere, a keep-English name translated), the wrong terms per draft (and those of the title
and abstract alone, the part the memory replaces), the characters an editor changes per entry, the share
of segments (title and abstract sentences) taken from the memory, and for the memory runs how
many segments an earlier approval held (each should have been reused). Then, with a glossary
of `--terms` terms, the time per paper spent finding the paper's terms (title, abstract and a
40,000-character full text) and running every named quality check (translations.checks) on a
draft with them; target under 20 ms. (What memory lookups cost: bench/memory.py.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import string
import sys
import tempfile
import time
from dataclasses import dataclass
from difflib import SequenceMatcher
from io import StringIO
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
STARTER = REPO_ROOT / "translations" / "data" / "glossary-speech-audio.csv"

# The simulated model's habits: the Chinese it writes for a term when no one tells it better.
# A keep-English name it translates; a preferred term it renders its own way. None of these
# contains the preferred rendering, so each is a real error.
HABITS = {
    "large language model": "法学硕士", "token": "令牌", "beam search": "波束搜索", "vocoder": "语音编码器",
    "speaker diarization": "说话人日记化", "zero-shot": "零射击", "few-shot": "少射击",
    "text-to-speech": "文字转语音", "mean opinion score": "平均意见得分", "word error rate": "字词误差率",
    "speech enhancement": "言语增强", "neural audio codec": "神经音频编码解码器", "knowledge distillation": "知识提炼",
    "self-supervised learning": "自我监督学习", "fine-tuning": "精细调整", "sound event detection": "声音事件侦测",
    "room impulse response": "房间脉冲响应", "self-attention": "自我注意力", "codebook": "编码簿",
    "Transformer": "变压器", "Whisper": "耳语", "HiFi-GAN": "高保真生成对抗网络", "EnCodec": "恩科德克",
    "LibriSpeech": "图书语音",
}
FILLER_ZH = "本文在多个公开数据集上进行了系统的实验，并与多种已有方法进行了比较，结果表明所提方法具有明显优势。"
_PREFERRED_LINE = re.compile(r"^- (.+?) → ([^（\n]+)", re.MULTILINE)


def configure(var_dir: str, llm_url: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "digest_site.settings", "DEBUG": "1", "DIGEST_VAR_DIR": var_dir,
        "OPENAI_BASE_URL": f"{llm_url}/v1", "OPENAI_API_KEY": "bench", "DIGEST_LLM_MODEL": "stub-model",
        "DIGEST_LLM_RETRIES": "0", "DIGEST_FULLTEXT": "0", "LOG_LEVEL": "warning",
    })


@dataclass(frozen=True)
class Segment:
    """An English title or abstract sentence, with how the model and how an editor write it in Chinese.

    `model` and `editor` hold {0}, {1} where the segment's `terms` go: the model writes a
    term as the prompt tells it (else its habit), the editor always as the starter glossary
    says. The rest of `model` is the model's wording, which the editor polishes into `editor`.
    """

    english: str
    model: str
    editor: str
    terms: tuple[str, ...] = ()


# Registries the stub reads (it runs in this process): every generated segment by its English.
TITLES: dict[str, Segment] = {}
SENTENCES: dict[str, Segment] = {}

TITLE_TEMPLATES = [
    ("Improving {0} with {1}", "利用{1}改进{0}", "基于{1}的{0}改进方法"),
    ("Rethinking {0} for {1}", "重新思考用于{1}的{0}", "面向{1}的{0}再思考"),
    ("{0} and {1}: An Empirical Study", "{0}和{1}：一项实证研究", "{0}与{1}的实证研究"),
]
# Sentences of one paper: two terms or one, and a number that makes them the paper's own.
OWN_TEMPLATES = {
    "combine": ("We propose a method that combines {0} with {1}.",
                "我们提出了一种将{0}与{1}相结合的方法。", "本文提出一种结合{0}与{1}的方法。"),
    "train": ("The {0} is trained on {n} hours of audio.", "该{0}在{n}小时的音频上被训练。", "{0}在{n}小时音频上训练。"),
    "compare": ("Compared with {0}, our approach lowers the error by {n} percent relative.",
                "与{0}相比，我们的方法将误差相对降低了{n}个百分比。", "与{0}相比，所提方法将误差相对降低{n}%。"),
    "analyse": ("Our analysis of {0} covers {n} conditions.", "我们对{0}的分析涵盖了{n}种条件。", "本文对{0}的分析涵盖{n}种条件。"),
}
# Sentences many papers share word for word.
BOILERPLATE = [
    Segment("Code and checkpoints are publicly available.", "代码和检查点是公开可用的。", "代码与模型检查点均已公开。"),
    Segment("Experiments on LibriSpeech show consistent gains over prior work.",
            "在{0}上的实验显示出相对于先前工作的一致增益。", "在{0}上的实验表明，该方法稳定优于已有工作。", ("LibriSpeech",)),
    Segment("Audio samples are available online.", "音频样本可在线获得。", "音频样例见项目网页。"),
    Segment("Extensive experiments demonstrate the effectiveness of the proposed method.",
            "广泛的实验证明了所提出方法的有效性。", "大量实验验证了所提方法的有效性。"),
    Segment("We evaluate with the word error rate and the mean opinion score.",
            "我们使用{0}和{1}进行评估。", "评估指标为{0}与{1}。", ("word error rate", "mean opinion score")),
    Segment("The results highlight the importance of careful data preparation.",
            "结果突出了仔细的数据准备的重要性。", "结果表明细致的数据准备至关重要。"),
    Segment("Our code will be released upon acceptance.", "我们的代码将在接受后发布。", "代码将在论文录用后公开。"),
    Segment("This work was accepted at a peer-reviewed venue.", "这项工作被一个同行评审的会议接受。", "本文已被同行评审会议录用。"),
]


@dataclass
class PaperSpec:
    """One item of a run: a new paper, or (`version_of`) a new arXiv version of an earlier item's paper."""

    title: Segment
    abstract: list[Segment]
    version_of: int | None = None

    @property
    def abstract_en(self) -> str:
        return " ".join(segment.english for segment in self.abstract)


def _segment(template: tuple[str, str, str], terms: tuple[str, ...], number: int = 0) -> Segment:
    english, model, editor = (part.replace("{n}", str(number)) for part in template)
    english = english.format(*terms)
    return Segment(english, model, editor, terms)


def make_specs(count: int, rng: random.Random) -> list[PaperSpec]:
    """The papers every run drafts, in order (the same for every run).

    About one item in five (after the first ten) is a new arXiv version of an earlier paper:
    the same title, one sentence's number changed (updated results), sometimes a shared
    sentence added. A new paper has a title with two of its four terms, three or four
    sentences of its own, and (six papers in ten) one or two of the shared sentences.
    """
    terms = list(HABITS)
    specs: list[PaperSpec] = []
    for number in range(count):
        revisable = [index for index, spec in enumerate(specs) if spec.version_of is None
                     and not any(other.version_of == index for other in specs)]
        if number >= 10 and revisable and rng.random() < 0.2:
            origin = rng.choice(revisable)
            before = specs[origin]
            abstract = list(before.abstract)
            changed = rng.choice([index for index, segment in enumerate(abstract) if segment.english in _NUMBERED])
            template, segment_terms, value = _NUMBERED[abstract[changed].english]
            abstract[changed] = _numbered(rng, template, segment_terms, value + 1, value + 9)
            if rng.random() < 0.3:
                extra = rng.choice([segment for segment in BOILERPLATE if segment not in abstract])
                abstract.insert(len(abstract) - 1, extra)
            specs.append(PaperSpec(before.title, abstract, version_of=origin))
            continue
        while True:
            chosen = rng.sample(terms, 4)
            title = _segment(rng.choice(TITLE_TEMPLATES), tuple(chosen[:2]))
            if title.english not in TITLES:
                break
        abstract = [_segment(OWN_TEMPLATES["combine"], tuple(chosen[:2]))]
        abstract.append(_numbered(rng, OWN_TEMPLATES["train"], (chosen[2],), 10, 900))
        abstract.append(_numbered(rng, OWN_TEMPLATES["compare"], (chosen[3],), 3, 40))
        if rng.random() < 0.5:
            abstract.append(_numbered(rng, OWN_TEMPLATES["analyse"], (chosen[rng.randrange(4)],), 2, 30))
        shared = rng.random()
        if shared < 0.6:
            abstract += rng.sample(BOILERPLATE, 1 if shared < 0.4 else 2)
        TITLES[title.english] = title
        specs.append(PaperSpec(title, abstract))
    for spec in specs:
        for segment in spec.abstract:
            SENTENCES[segment.english] = segment
    return specs


# Numbered sentences: English → (template, terms, number), so a new version can change the number.
_NUMBERED: dict[str, tuple[tuple[str, str, str], tuple[str, ...], int]] = {}


def _numbered(rng: random.Random, template: tuple[str, str, str], terms: tuple[str, ...], low: int,
              high: int) -> Segment:
    """A sentence of one paper: a number from low to high that no earlier sentence used with these words."""
    while True:
        number = rng.randint(low, high)
        segment = _segment(template, terms, number)
        if segment.english not in _NUMBERED:
            _NUMBERED[segment.english] = (template, terms, number)
            return segment


def check_specs(specs: list[PaperSpec], reference) -> None:
    """Each segment uses exactly the glossary terms it declares (else errors would be judged unfairly)."""
    for spec in specs:
        for segment in [spec.title, *spec.abstract]:
            found = {rule.source.lower() for rule in reference.rules_in(segment.english)}
            assert found == {term.lower() for term in segment.terms}, (segment.english, found)


def model_rendering(term: str, preferred: dict[str, str], keep: str) -> str:
    """The model's Chinese for a term: right if the prompt's glossary names it, else its habit."""
    if term.lower() in preferred:
        return f"{preferred[term.lower()]}（{term}）"
    if f"- {term}" in keep:
        return term
    return f"{HABITS[term]}（{term}）"


def editor_rendering(reference, term: str) -> str:
    """The editor's Chinese for a term: the starter glossary's (a name stays English, without brackets)."""
    rule = next(rule for rule in reference.rules if rule.source.lower() == term.lower())
    return term if rule.kind == "keep_english" else f"{rule.rendering}（{term}）"


def model_answer(request) -> object:
    """The stub's draft: the title and each abstract sentence in the model's wording, each term
    right if the prompt's glossary names it, else the model's habit; reading sections likewise."""
    from tests.openai_stub import draft_reply

    user = json.loads(request.body)["messages"][1]["content"]
    told, paper = user.split("<paper_data>", 1)
    preferred = {english.lower(): chinese.strip() for english, chinese in _PREFERRED_LINE.findall(told)}
    keep = told.split("保留英文（不得翻译）：", 1)[1] if "保留英文（不得翻译）：" in told else ""
    title_en = re.search(r"标题 \(title\): (.*)", paper).group(1).strip()
    abstract_en = paper.split("摘要 (abstract):\n", 1)[1].split("\n\n", 1)[0]
    from translations.segments import normalise, split_english

    def zh(segment: Segment) -> str:
        return segment.model.format(*(model_rendering(term, preferred, keep) for term in segment.terms))

    used = [term for term in HABITS if re.search(rf"(?<![A-Za-z]){re.escape(term)}(?![A-Za-z])", paper, re.I)]
    written = [model_rendering(term, preferred, keep) for term in used]
    sentence = "本文研究" + "、".join(written) + "。"
    return draft_reply({
        "title_zh": zh(TITLES[normalise(title_en)]),
        "abstract_zh": "".join(zh(SENTENCES[english]) for english in split_english(abstract_en)),
        "background": f"- **研究背景**：{sentence}\n- **既有方法问题**：{FILLER_ZH}",
        "method": f"- **核心思路**：{sentence}",
        "results": f"- **任务与效果**：{FILLER_ZH}",
    })


def paper_create(spec: PaperSpec, arxiv_id: str):
    from papers.models import Paper

    published = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    return Paper.objects.create(
        arxiv_id=arxiv_id, version=1, title=spec.title.english,
        authors=[{"name": "Bench Author", "affiliations": []}], primary_category="cs.SD", categories=["cs.SD"],
        abstract=spec.abstract_en, published=published, updated=published,
    )


def glossary_errors(reference, paper, text: str) -> int:
    """How many of the paper's terms the Chinese text gets wrong, by the reference glossary.

    A term is wrong anywhere it is wrong: the glossary's rendering present in one sentence
    (say, one taken from the memory) does not excuse the model's habit in another.
    """
    errors = 0
    for rule in reference.rules_in(f"{paper.title}\n{paper.abstract}"):
        if rule.kind == "keep_english":
            # Missing, or translated with the English in brackets after it ("变压器（Transformer）").
            wrong = rule.source not in text or f"（{rule.source}）" in text or any(f in text for f in rule.forbidden)
        else:
            habit = HABITS.get(rule.source)
            wrong = (rule.rendering not in text or any(f in text for f in rule.forbidden)
                     or (habit is not None and f"{habit}（" in text))
        errors += wrong
    return errors


def corrected(reference, paper, text: str) -> str:
    """The editor's fix of a reading section: every habit replaced by the glossary's rendering (names back to English)."""
    for rule in reference.rules_in(f"{paper.title}\n{paper.abstract}"):
        habit = HABITS.get(rule.source)
        if habit is None:
            continue
        if rule.kind == "keep_english":
            text = text.replace(f"{habit}（{rule.source}）", rule.source)
        else:
            text = text.replace(f"{habit}（", f"{rule.rendering}（")
    return text


def editor_text(reference, spec: PaperSpec, paper, draft_text: dict[str, str]) -> dict[str, str]:
    """The text the editor approves: title and abstract in the editor's wording with the glossary's
    terms (whatever the draft said), reading sections with their wrong terms corrected."""
    def zh(segment: Segment) -> str:
        return segment.editor.format(*(editor_rendering(reference, term) for term in segment.terms))

    fixed = {field: corrected(reference, paper, value) for field, value in draft_text.items()}
    fixed["title_zh"] = zh(spec.title)
    fixed["abstract_zh"] = "".join(zh(segment) for segment in spec.abstract)
    return fixed


def changed_characters(old: str, new: str) -> int:
    matched = sum(block.size for block in SequenceMatcher(a=old, b=new, autojunk=False).get_matching_blocks())
    return max(len(old), len(new)) - matched


def run(name: str, specs: list[PaperSpec], prefix: str, reference, *, prompt: str, learn: bool = False,
        approve: bool = False, editor, chief) -> dict:
    """Draft every item in order; the editor corrects each draft. `learn`: the corrected text is
    saved and its corrections recorded, and a chief editor accepts every pending suggested term.
    `approve`: the corrected text is saved and the entry approved (entry_approve: the memory
    stores its segments, the corrections are recorded; suggestions are left pending)."""
    from django.conf import settings

    from publishing.models import DigestDay, Entry
    from publishing.review.services import entry_approve, entry_reopen
    from translations.models import MachineDraft, SuggestedTerm
    from translations.revisions import revision_save, text_current
    from translations.segments import split_english
    from translations.services import draft_queue, draft_run
    from translations.suggestions import corrections_record, suggestion_accept

    settings.DIGEST_PROMPT_VERSION = prompt
    day = None
    if approve:
        window = dt.datetime(2026, 1, 8, tzinfo=dt.UTC)
        day = DigestDay.objects.create(date=dt.date(2026, 1, 9) + dt.timedelta(days=int(prefix[-1])),
                                       window_start=window, window_end=window + dt.timedelta(days=1),
                                       status=DigestDay.Status.IN_REVIEW)
    papers, entries = {}, {}
    approved: set[str] = set()  # the English of every segment approved so far (title or sentence)
    reusable = 0
    wrong_in_abstract = 0
    with_error, wrong_terms, changed, accepted, segments, from_memory = 0, 0, [], 0, 0, 0
    for number, spec in enumerate(specs):
        if spec.version_of is None:
            paper = papers[number] = paper_create(spec, f"{prefix}.{number:05d}")
            if approve:
                entries[number] = Entry.objects.create(day=day, paper=paper, paper_version=1, kind="new",
                                                       position=number + 1, state=Entry.State.IN_REVIEW)
            draft = draft_queue(paper=paper).draft
        else:  # arXiv's new version: the same row, its English replaced; drafted again
            paper = papers[number] = papers[spec.version_of]
            paper.title, paper.abstract, paper.version = spec.title.english, spec.abstract_en, paper.version + 1
            paper.save()
            draft = draft_queue(paper=paper, force=True).draft
        draft_run(draft_id=draft.pk)
        draft = MachineDraft.objects.get(pk=draft.pk)
        assert draft.status == "succeeded", draft.error
        text = draft.text()
        fixed = editor_text(reference, spec, paper, text)
        errors = glossary_errors(reference, paper, "\n".join(text.values()))
        with_error += errors > 0
        wrong_terms += errors
        # The memory replaces only the title and abstract: the terms there, on their own.
        wrong_in_abstract += glossary_errors(reference, paper, f"{text['title_zh']}\n{text['abstract_zh']}")
        changed.append(sum(changed_characters(text[f], fixed[f]) for f in text))
        english = [spec.title.english, *split_english(paper.abstract)]
        segments += len(english)
        reusable += sum(segment in approved for segment in english)
        from_memory += sum(len(warning["segments"]) for warning in draft.warnings if warning["kind"] == "memory_exact")
        if learn or approve:
            current = text_current(paper)
            revision = revision_save(paper=paper, author=editor, text=fixed, base_number=current.number) or current
        if learn:
            corrections_record(paper=paper, revision=revision)  # what approving the entry runs
            # Accepting a term withdraws its other pending suggestions: read what is pending after each.
            while suggestion := SuggestedTerm.objects.filter(status="pending").order_by("-entries", "id").first():
                suggestion_accept(suggestion=suggestion, user=chief)
                accepted += 1
        if approve:
            entry = entries[spec.version_of if spec.version_of is not None else number]
            entry.refresh_from_db()
            if entry.state == Entry.State.APPROVED:  # the new version: the editor reopens it to take the new text
                entry_reopen(entry=entry, user=editor)
            entry_approve(entry=entry, user=editor)
            approved.update(english)
    return {"name": name, "papers": len(specs), "with_error": with_error / len(specs),
            "wrong_terms": wrong_terms / len(specs),
            "wrong_in_abstract": wrong_in_abstract / len(specs), "changed": statistics.mean(changed), "accepted": accepted,
            "from_memory": from_memory / segments,
            "reused": from_memory, "reusable": reusable}


def forget() -> None:
    """Empty the glossary, the editors' recorded corrections, the suggested terms and the memory."""
    from translations.models import GlossaryTerm, MemoryUnit, SuggestedTerm, TermCorrection

    for model in (GlossaryTerm, TermCorrection, SuggestedTerm, MemoryUnit):
        model.objects.all().delete()


def time_matching(term_count: int, rng: random.Random) -> dict:
    """Per paper: find its terms in title, abstract and a 40,000-character full text, and check a draft."""
    from django.core.management import call_command

    from translations.checks import CheckInput, run_checks
    from translations.models import GlossaryTerm
    from translations.terminology import glossary_matcher

    call_command("import_glossary", str(STARTER), stdout=StringIO())
    have = GlossaryTerm.objects.count()
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10))) for _ in range(4000)]
    sources = {" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(term_count * 2)}
    GlossaryTerm.objects.bulk_create(
        GlossaryTerm(term=source, rendering="术语" + str(n)) for n, source in enumerate(sorted(sources)[:term_count - have])
    )
    started = time.perf_counter()
    matcher = glossary_matcher()
    build = time.perf_counter() - started
    filler = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) + "q" for _ in range(3000)]
    habits = list(HABITS)
    timings, matching = [], []
    for _ in range(100):
        body = " ".join(rng.choice(words) if i % 25 == 0 else rng.choice(habits) if i % 40 == 0
                        else rng.choice(filler) for i in range(6000))
        title, abstract = "On vocoder and token", "We study vocoder and token models. " + " ".join(words[:40])
        text = {"title_zh": "声码器与词元", "abstract_zh": FILLER_ZH * 3,
                "background_md": f"- **研究背景**：{FILLER_ZH}\n- **既有方法问题**：{FILLER_ZH}",
                "method_md": f"- **核心思路**：{FILLER_ZH}", "results_md": f"- **任务与效果**：{FILLER_ZH}"}
        started = time.perf_counter()
        rules = glossary_matcher().rules_in(f"{title}\n{abstract}\n{body}")
        matched = time.perf_counter()
        run_checks(CheckInput(text=text, title=title, abstract=abstract, full_text=body, rules=tuple(rules),
                              glossary=glossary_matcher()))
        timings.append(time.perf_counter() - started)
        matching.append(matched - started)
    return {"terms": len(matcher.rules), "build": build, "mean": statistics.mean(timings),
            "matching": statistics.mean(matching),
            "p95": sorted(timings)[94], "max": max(timings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--terms", type=int, default=5000)
    args = parser.parse_args()

    from tests.local_server import LocalServer

    stub = LocalServer().start()
    stub.handler = model_answer
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as var_dir:
        configure(var_dir, stub.url)
        import django

        django.setup()
        from django.contrib.auth.models import Group, User
        from django.core.management import call_command

        from translations.glossary import glossary_import
        from translations.glossary_files import read_glossary_file
        from translations.terminology import TermMatcher, rule_from_term

        call_command("migrate", verbosity=0)
        editor = User.objects.create_user("bench-editor", is_staff=True)
        editor.groups.add(Group.objects.get(name="Editor"))  # may approve entries
        chief = User.objects.create_superuser("bench-chief")
        # The reference the errors are judged by: the starter glossary, outside the database.
        report = glossary_import(rows=read_glossary_file(STARTER.name, STARTER.read_bytes()), dry_run=True)
        assert not report.refused
        from translations.models import GlossaryTerm

        call_command("import_glossary", str(STARTER), stdout=StringIO())
        reference = TermMatcher(rule_from_term(term) for term in GlossaryTerm.objects.all())
        GlossaryTerm.objects.all().delete()

        specs = make_specs(args.papers, rng)
        check_specs(specs, reference)
        common = {"reference": reference, "editor": editor, "chief": chief}
        rows = {
            "none": run("no glossary (draft-v1)", specs, "2601", prompt="draft-v1", **common),
            "learning": run("learning from corrections (draft-v2)", specs, "2602", prompt="draft-v2", learn=True,
                            **common),
        }
        forget()
        rows["none+memory"] = run("no glossary + memory (draft-v1)", specs, "2603", prompt="draft-v1",
                                  approve=True, **common)
        forget()
        call_command("import_glossary", str(STARTER), stdout=StringIO())
        rows["starter"] = run("starter glossary (draft-v2)", specs, "2604", prompt="draft-v2", **common)
        rows["starter+memory"] = run("starter glossary + memory (draft-v2)", specs, "2605", prompt="draft-v2",
                                     approve=True, **common)
        rows = [rows[key] for key in ("none", "learning", "starter", "none+memory", "starter+memory")]
        GlossaryTerm.objects.all().delete()
        timing = time_matching(args.terms, random.Random(2026))  # its own draws: the same whatever the runs drew
    stub.stop()

    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    versions = sum(spec.version_of is not None for spec in specs)
    shared = sum(segment in BOILERPLATE for spec in specs for segment in spec.abstract)
    print(f"\nTerminology benchmark: {args.papers} drafts per run ({args.papers - versions} new papers, {versions} new "
          f"arXiv versions of earlier ones; {shared} of their abstract sentences are shared ones), each paper "
          f"using 4 of {len(HABITS)} terms the model gets wrong unless told, and those of its shared sentences "
          f"({database})\n")
    print(f"{'run':<38} | {'drafts with a glossary error':>28} | {'wrong terms per draft':>21} | "
          f"{'in title and abstract':>21} | "
          f"{'characters changed per entry':>28} | {'segments from memory':>20} | {'terms accepted':>14}")
    print("-" * 189)
    for row in rows:
        print(f"{row['name']:<38} | {row['with_error']:>28.0%} | {row['wrong_terms']:>21.2f} | "
              f"{row['wrong_in_abstract']:>21.2f} | "
              f"{row['changed']:>28.1f} | {row['from_memory']:>20.0%} | {row['accepted']:>14}")
    for row in rows:
        if row["reusable"]:
            print(f"{row['name']}: {row['reused']} segments taken from memory; {row['reusable']} had English an "
                  "earlier approval held")
    print(f"\nMatching and all quality checks with {timing['terms']} terms (title, abstract and 40,000 characters "
          "of full text): "
          f"{1000 * timing['mean']:.1f} ms per paper on average, p95 {1000 * timing['p95']:.1f} ms, "
          f"max {1000 * timing['max']:.1f} ms, of which matching {1000 * timing['matching']:.1f} ms on average; "
          f"building the matcher once per process: {1000 * timing['build']:.0f} ms")
    print(f"Target (under 20 ms per paper on average): {'met' if timing['mean'] < 0.020 else 'NOT met'}")


if __name__ == "__main__":
    main()
