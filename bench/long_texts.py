"""Benchmark: what the review page does with very long texts (diffs and memory lookups).

    .venv/bin/python bench/long_texts.py [--words 4000] [--abstract-chars 100000]

Steps: a fresh SQLite database in a temporary folder (or DATABASE_URL if set: give it one of its
own); then, each timed:

1. word diffs (`diff_words_html`, as the memory panel and newer arXiv versions show English) of
   `--words` words: generated prose with a few words changed; the same prose against a rewrite
   sharing most of its vocabulary; a repetitive text against another;
2. character diffs (`diff_html`, the Chinese sections) of the same size;
3. the translation memory's suggestions for an abstract of `--abstract-chars` characters made
   of one sentence repeated with its number changed, the memory holding a close match
   (`memory_suggestions`: what hung the review page for more than 300 s);
4. the word diff of that abstract against a newer version changed all along (a newer arXiv
   version's panel).

Target: each under 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

WORDS = ("speech audio model neural codec vocoder diffusion latency streaming encoder decoder transformer speaker "
         "separation enhancement recognition synthesis spectrogram waveform phase noise robust dataset benchmark "
         "we the a of and to in on for with by that from is are this our which").split()
HANZI = "语音音频模型神经编码器解码合成识别增强分离检测网络扩散流式延迟声学特征频谱波形相位噪声鲁棒数据集基准评估的了在是"
SENTENCE = "A causal convolutional backbone keeps the algorithmic latency at {} ms on speech."


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=4000)
    parser.add_argument("--abstract-chars", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as var_dir:
        os.environ.update({"DJANGO_SETTINGS_MODULE": "digest_site.settings", "DEBUG": "1", "DIGEST_VAR_DIR": var_dir,
                           "LOG_LEVEL": "warning"})
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run(args.words, args.abstract_chars)


def run(words: int, abstract_chars: int) -> None:
    from translations.diffing import diff_html, diff_words_html
    from translations.memory import memory_import_units, memory_suggestions

    rng = random.Random(7)
    prose = [rng.choice(WORDS) for _ in range(words)]
    edited = list(prose)
    for _ in range(5):
        edited[rng.randrange(words)] = "changed"
    rewrite = [rng.choice(WORDS) for _ in range(words)]
    chinese = "".join(rng.choice(HANZI) for _ in range(words))
    rows = [
        (f"1. word diff, {words:,} words, 5 changed", diff_words_html, " ".join(prose), " ".join(edited)),
        (f"1. word diff, {words:,} words, rewritten", diff_words_html, " ".join(prose), " ".join(rewrite)),
        (f"1. word diff, {words:,} words, repetitive", diff_words_html, " ".join(["word"] * words),
         " ".join(["word", "other"] * (words // 2))),
        (f"2. character diff, {words:,} characters", diff_html, chinese,
         "".join(rng.choice(HANZI) for _ in range(words))),
        (f"2. character diff, {words:,} repetitive", diff_html, "音" * words, "音频" * (words // 2)),
    ]
    print(f"Long texts benchmark: {words:,} words, a {abstract_chars:,}-character abstract\n")
    header = f"{'what':<48} | {'seconds':>7} | note"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, function, old, new in rows:
        seconds, html = timed(function, old, new)
        worst = max(worst, seconds)
        print(f"{name:<48} | {seconds:>7.3f} | {'capped: shown whole' if 'diff-capped' in html else 'compared exactly'}")

    abstract = " ".join(SENTENCE.format(n % 7) for n in range(abstract_chars // len(SENTENCE) + 1))[:abstract_chars]
    memory_import_units(pairs=[("abstract_sentence", SENTENCE.format(10), "因果卷积骨干网络将算法延迟控制在 10 毫秒。", "")])
    paper = type("Paper", (), {"title": "A Streaming Codec", "abstract": abstract})
    seconds, suggestions = timed(memory_suggestions, paper)
    worst = max(worst, seconds)
    print(f"{f'3. memory suggestions, {len(abstract):,}-char abstract':<48} | {seconds:>7.3f} | "
          f"{len(suggestions)} segments with matches")
    seconds, html = timed(diff_words_html, abstract, abstract.replace(" ms", " milliseconds"))
    worst = max(worst, seconds)
    print(f"{'4. word diff of that abstract, changed all along':<48} | {seconds:>7.3f} | "
          f"{'capped: shown whole' if 'diff-capped' in html else 'compared exactly'}")
    print(f"\nTarget (each under 1 s): {'met' if worst < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
