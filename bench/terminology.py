"""Benchmark: what the terminology base changes in drafts, and what matching costs.

    .venv/bin/python bench/terminology.py [--papers 100] [--terms 5000]

Steps: a fresh SQLite database in a temporary folder (or DATABASE_URL if set); N generated
papers, each using four terms of the starter speech-and-audio glossary that the simulated
model gets wrong (法学硕士 for LLM, 令牌 for token, 变压器 for Transformer, …); an
OpenAI-compatible stub on 127.0.0.1 that writes a term right only when the prompt names its
preferred rendering (or lists it as keep-English), and always keeps the English in brackets.
Each paper is drafted through the real client (draft_run), then an editor corrects every
wrong rendering, as in real use. Three runs:

1. no glossary (prompt draft-v1, glossary empty): the model's habits as they are;
2. learning from corrections (draft-v2, glossary empty at first): after each corrected and
   approved paper, a chief editor accepts the pending suggested terms, so later papers'
   prompts carry what the editors taught;
3. starter glossary (draft-v2, translations/data/glossary-speech-audio.csv imported).

For each run it prints the share of drafts with a glossary error (judged against the
starter glossary: a preferred rendering missing or a forbidden one used, a keep-English name
translated) and the characters an editor changes per entry. Then, with a glossary of
`--terms` terms, the time per paper spent finding the paper's terms (title, abstract and a
40,000-character full text) and running every named quality check (translations.checks) on a
draft with them; target under 20 ms.
Translation memory (issue 12, part 4) is not part of this run.
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


def model_answer(request) -> object:
    """The stub's draft: each term right if the prompt's glossary names it, else the model's habit."""
    from tests.openai_stub import draft_reply

    user = json.loads(request.body)["messages"][1]["content"]
    told, paper = user.split("<paper_data>", 1)
    preferred = {english.lower(): chinese.strip() for english, chinese in _PREFERRED_LINE.findall(told)}
    keep = told.split("保留英文（不得翻译）：", 1)[1] if "保留英文（不得翻译）：" in told else ""
    used = [term for term in HABITS if re.search(rf"(?<![A-Za-z]){re.escape(term)}(?![A-Za-z])", paper, re.I)]
    written = []
    for term in used:
        if term.lower() in preferred:
            written.append(f"{preferred[term.lower()]}（{term}）")
        elif f"- {term}" in keep:
            written.append(term)
        else:
            written.append(f"{HABITS[term]}（{term}）")
    sentence = "本文研究" + "、".join(written) + "。"
    return draft_reply({
        "title_zh": "基于" + "与".join(written[:2]) + "的语音处理方法",
        "abstract_zh": sentence + FILLER_ZH,
        "background": f"- **研究背景**：{sentence}\n- **既有方法问题**：{FILLER_ZH}",
        "method": f"- **核心思路**：{sentence}",
        "results": f"- **任务与效果**：{FILLER_ZH}",
    })


def make_papers(count: int, prefix: str, rng: random.Random) -> list:
    from papers.models import Paper

    terms = list(HABITS)
    published = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    papers = []
    for number in range(count):
        chosen = rng.sample(terms, 4)
        abstract = (f"We study {chosen[0]} and {chosen[1]} for speech. Our approach combines {chosen[2]} "
                    f"with {chosen[3]} and is evaluated on public benchmarks.")
        papers.append(Paper.objects.create(
            arxiv_id=f"{prefix}.{number:05d}", version=1, title=f"On {chosen[0]} and {chosen[1]}",
            authors=[{"name": "Bench Author", "affiliations": []}], primary_category="cs.SD", categories=["cs.SD"],
            abstract=abstract, published=published, updated=published,
        ))
    return papers


def glossary_errors(reference, paper, text: str) -> int:
    """How many of the paper's terms the Chinese text gets wrong, by the reference glossary."""
    errors = 0
    for rule in reference.rules_in(f"{paper.title}\n{paper.abstract}"):
        if rule.kind == "keep_english":
            # Missing, or translated with the English in brackets after it ("变压器（Transformer）").
            wrong = rule.source not in text or f"（{rule.source}）" in text or any(f in text for f in rule.forbidden)
        else:
            wrong = rule.rendering not in text or any(f in text for f in rule.forbidden)
        errors += wrong
    return errors


def corrected(reference, paper, text: str) -> str:
    """The editor's fix: every habit replaced by the glossary's rendering (names back to English)."""
    for rule in reference.rules_in(f"{paper.title}\n{paper.abstract}"):
        habit = HABITS.get(rule.source)
        if habit is None:
            continue
        if rule.kind == "keep_english":
            text = text.replace(f"{habit}（{rule.source}）", rule.source)
        else:
            text = text.replace(f"{habit}（", f"{rule.rendering}（")
    return text


def changed_characters(old: str, new: str) -> int:
    matched = sum(block.size for block in SequenceMatcher(a=old, b=new, autojunk=False).get_matching_blocks())
    return max(len(old), len(new)) - matched


def run(name: str, papers: list, reference, *, prompt: str, learn: bool, editor, chief) -> dict:
    from django.conf import settings

    from translations.models import MachineDraft, SuggestedTerm
    from translations.revisions import revision_save, text_current
    from translations.services import draft_queue, draft_run
    from translations.suggestions import corrections_record, suggestion_accept

    settings.DIGEST_PROMPT_VERSION = prompt
    with_error, wrong_terms, changed, accepted = 0, 0, [], 0
    for paper in papers:
        draft = draft_queue(paper=paper).draft
        draft_run(draft_id=draft.pk)
        draft = MachineDraft.objects.get(pk=draft.pk)
        assert draft.status == "succeeded", draft.error
        text = draft.text()
        fixed = {field: corrected(reference, paper, value) for field, value in text.items()}
        errors = glossary_errors(reference, paper, "\n".join(text.values()))
        with_error += errors > 0
        wrong_terms += errors
        changed.append(sum(changed_characters(text[f], fixed[f]) for f in text))
        if learn:
            current = text_current(paper)
            revision = revision_save(paper=paper, author=editor, text=fixed, base_number=current.number)
            corrections_record(paper=paper, revision=revision or current)  # what approving the entry runs
            for suggestion in SuggestedTerm.objects.filter(status="pending"):
                suggestion_accept(suggestion=suggestion, user=chief)
                accepted += 1
    return {"name": name, "papers": len(papers), "with_error": with_error / len(papers),
            "wrong_terms": wrong_terms / len(papers),
            "changed": statistics.mean(changed), "accepted": accepted}


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
        run_checks(CheckInput(text=text, title=title, abstract=abstract, full_text=body, rules=tuple(rules)))
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
        from django.contrib.auth.models import User
        from django.core.management import call_command

        from translations.glossary import glossary_import
        from translations.glossary_files import read_glossary_file
        from translations.terminology import TermMatcher, rule_from_term

        call_command("migrate", verbosity=0)
        editor = User.objects.create_user("bench-editor")
        chief = User.objects.create_superuser("bench-chief")
        # The reference the errors are judged by: the starter glossary, outside the database.
        report = glossary_import(rows=read_glossary_file(STARTER.name, STARTER.read_bytes()), dry_run=True)
        assert not report.refused
        from translations.models import GlossaryTerm

        call_command("import_glossary", str(STARTER), stdout=StringIO())
        reference = TermMatcher(rule_from_term(term) for term in GlossaryTerm.objects.all())
        GlossaryTerm.objects.all().delete()

        rows = [
            run("no glossary (draft-v1)", make_papers(args.papers, "2601", rng), reference,
                prompt="draft-v1", learn=False, editor=editor, chief=chief),
            run("learning from corrections (draft-v2)", make_papers(args.papers, "2602", rng), reference,
                prompt="draft-v2", learn=True, editor=editor, chief=chief),
        ]
        call_command("import_glossary", str(STARTER), stdout=StringIO())
        rows.append(run("starter glossary (draft-v2)", make_papers(args.papers, "2603", rng), reference,
                        prompt="draft-v2", learn=False, editor=editor, chief=chief))
        GlossaryTerm.objects.all().delete()
        timing = time_matching(args.terms, rng)
    stub.stop()

    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"\nTerminology benchmark: {args.papers} papers per run, each using 4 of {len(HABITS)} terms the model "
          f"gets wrong unless told ({database})\n")
    print(f"{'run':<38} | {'drafts with a glossary error':>28} | {'wrong terms per draft':>21} | "
          f"{'characters changed per entry':>28} | {'terms accepted':>14}")
    print("-" * 142)
    for row in rows:
        print(f"{row['name']:<38} | {row['with_error']:>28.0%} | {row['wrong_terms']:>21.2f} | "
              f"{row['changed']:>28.1f} | {row['accepted']:>14}")
    print(f"\nMatching and all quality checks with {timing['terms']} terms (title, abstract and 40,000 characters "
          "of full text): "
          f"{1000 * timing['mean']:.1f} ms per paper on average, p95 {1000 * timing['p95']:.1f} ms, "
          f"max {1000 * timing['max']:.1f} ms, of which matching {1000 * timing['matching']:.1f} ms on average; "
          f"building the matcher once per process: {1000 * timing['build']:.0f} ms")
    print(f"Target (under 20 ms per paper on average): {'met' if timing['mean'] < 0.020 else 'NOT met'}")


if __name__ == "__main__":
    main()
