"""Benchmark: translation-memory lookups as drafting and the review page make them.

    .venv/bin/python bench/memory.py [--units 10000 50000] [--papers 50]

Steps: a fresh SQLite database in a temporary folder (or DATABASE_URL if set: give it
one of its own, the benchmark migrates it and writes into it); for each size, that many
generated English sentences with Chinese stand-ins imported into the memory; then for
`--papers` generated papers (a title and eight abstract sentences, half of them small
edits of stored sentences, one stored exactly, the rest new) the time of
`memory_reuse_exact` (what drafting adds per paper) and of `memory_suggestions` (the
review page's close matches for the title and every sentence), after a first lookup that
builds the process's index (timed on its own). Prints a table; the
target is under 20 ms per paper for drafting and under 300 ms per review page at 50,000 units.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

WORDS = (
    "speech audio model neural codec vocoder diffusion latency streaming encoder decoder transformer speaker "
    "separation enhancement recognition synthesis spectrogram waveform phase magnitude noise robust dataset "
    "benchmark evaluation baseline accuracy error rate improvement training inference self-supervised "
    "representation learning music instrument chord rhythm room reverberation microphone array beamforming "
    "diarization keyword spotting emotion prosody pitch duration alignment attention convolution recurrent"
).split()
FUNCTION_WORDS = "we the a of and to in on for with by that from is are this our which as than".split()
# Abstracts use thousands of distinct words, most of them rarely: a Zipf-like draw over invented ones.
VOCABULARY = WORDS + [f"term{n}" for n in range(6000)]
CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))


def sentence(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(12, 28)):
        words.append(rng.choice(FUNCTION_WORDS) if rng.random() < 0.35 else rng.choices(VOCABULARY, cum_weights=CUMULATIVE)[0])
    return f"We {' '.join(words)} at {rng.randint(2, 99)}.{rng.randint(0, 9)} dB."


def edited(rng: random.Random, text: str) -> str:
    words = text.split()
    for _ in range(2):
        words[rng.randrange(1, len(words) - 2)] = rng.choice(WORDS)
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, nargs="+", default=[10000, 50000])
    parser.add_argument("--papers", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        os.environ.update({"DJANGO_SETTINGS_MODULE": "digest_site.settings", "DEBUG": "1", "DIGEST_VAR_DIR": var_dir,
                           "LOG_LEVEL": "warning"})
        import django
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run(args.units, args.papers)


def run(sizes: list[int], papers: int) -> None:
    from django.db import connection
    from rapidfuzz import fuzz, utils

    from translations.memory import memory_close_matches, memory_import_units, memory_reuse_exact, memory_suggestions
    from translations.models import MemoryUnit

    rng = random.Random(12)
    database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"Translation memory benchmark: {papers} papers of 1 title + 8 sentences per size, {database}\n")
    header = f"{'units':>8} | {'index read (ms)':>15} | {'drafting ms/paper':>17} | {'review ms/paper':>15} | {'review p95':>10} | {'matches/paper':>13}"
    print(header)
    print("-" * len(header))
    stored: list[str] = []
    results = []
    missed = expected = 0
    for size in sizes:
        new = [sentence(rng) for _ in range(size - len(stored))]
        memory_import_units(pairs=[("abstract_sentence", text, f"句{len(stored) + i}。", "") for i, text in enumerate(new)])
        stored += new
        assert MemoryUnit.objects.count() >= size
        start = time.perf_counter()
        memory_close_matches("abstract_sentence", stored[0])  # the process reads the new units into its index
        index_ms = (time.perf_counter() - start) * 1000
        drafting, review, found = [], [], []
        for _ in range(papers):
            originals = [rng.choice(stored) for _ in range(5)]
            sentences = [edited(rng, text) for text in originals[:4]] + [originals[4]] + [sentence(rng) for _ in range(3)]
            abstract = " ".join(sentences)
            paper = type("P", (), {"title": "A Title " + " ".join(rng.choices(WORDS, k=6)), "abstract": abstract})
            start = time.perf_counter()
            memory_reuse_exact(title_en=paper.title, abstract_en=abstract, title_zh="标题",
                               abstract_zh="".join(f"译{i}。" for i in range(8)))
            drafting.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            suggestions = memory_suggestions(paper)
            review.append((time.perf_counter() - start) * 1000)
            found.append(len(suggestions))
            # An edited sentence still ≥ 85 % like the one it was made from (and the exact one) must be offered.
            offered = {suggestion.sentence for suggestion in suggestions}
            close = [number for number, (made, original) in enumerate(zip(sentences[:5], originals), start=1)
                     if fuzz.ratio(utils.default_process(made), utils.default_process(original)) >= 85]
            missed += sum(1 for number in close if number not in offered)
            expected += len(close)
        p95 = statistics.quantiles(review, n=20)[-1]
        results.append((size, statistics.mean(drafting), statistics.mean(review)))
        print(f"{size:>8} | {index_ms:>15.0f} | {statistics.mean(drafting):>17.1f} | {statistics.mean(review):>15.1f} | {p95:>10.1f} | "
              f"{statistics.mean(found):>13.1f}")
    last = results[-1]
    met = last[1] < 20 and last[2] < 300 and not missed
    print(f"\nsentences ≥ 85 % like a stored one: {expected}, not offered: {missed}")
    print(f"Target at {last[0]} units (drafting < 20 ms, review page < 300 ms per paper): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
