"""Benchmark: five digests served by one fetch of a real full day of arXiv.

    .venv/bin/python bench/digests.py [--database-url postgres://…] [--workers 8]

Steps: a fresh SQLite database in a temporary folder (or the database named by --database-url, which is
flushed: give it one of its own); five digests with overlapping categories (vision: cs.CV; ml: cs.LG,
stat.ML; language: cs.CL, cs.AI; quantum: quant-ph; hep: hep-th, hep-ph, gr-qc); arXiv's RSS endpoint
played by a local HTTP server answering with a recorded full day's feed (bench/data/, 1,504 items, all
archives of 2024-11-28; see bench/data/README.md). Then:

1. collect: `run_daily`'s collection for all five digests (`day_collect`), timed, with each digest's
   selection timed on its own; the server counts the requests (target: one);
2. draft: every digest's day asks for its drafts (`day_start_drafting`); the drafts are run in this
   process, `--workers` at a time, against an OpenAI-compatible stub on 127.0.0.1 answering at once
   through the real `openai` client; the stub counts the calls (target: one per distinct paper, however
   many digests hold it).

Printed: papers per digest, how many are in two or more digests, the fetch's requests, the collection's
time and each digest's selection time, the drafts and LLM calls, and whether each target is met.
The public pages at archive scale with five digests are measured by bench/public.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

FEED = REPO_ROOT / "bench" / "data" / "rss2_2024-11-28_all_archives_full_day.xml"
# The feed's announcement (Wednesday 27 November 2024, 20:00 US Eastern) is Beijing's Thursday morning:
# the digest day of Friday 29 November holds it (its window opens at 08:50 on the 28th).
DATE = dt.date(2024, 11, 29)
NOW = dt.datetime(2024, 11, 29, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DIGESTS = [
    ("vision", "Computer vision", ["cs.CV"]),
    ("ml", "Machine learning", ["cs.LG", "stat.ML"]),
    ("language", "Language and AI", ["cs.CL", "cs.AI"]),
    ("quantum", "Quantum", ["quant-ph"]),
    ("hep", "High-energy physics", ["hep-th", "hep-ph", "gr-qc"]),
]


def configure(var_dir: str, database_url: str | None, rss_url: str, llm_url: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "digest_site.settings",
        "DEBUG": "1",
        "DIGEST_VAR_DIR": var_dir,
        "ARXIV_RSS_URL": rss_url,
        "ARXIV_API_DELAY": "0",
        "OPENAI_BASE_URL": f"{llm_url}/v1",
        "OPENAI_API_KEY": "bench",
        "DIGEST_LLM_MODEL": "stub-model",
        "DIGEST_LLM_RETRIES": "0",
        "DIGEST_FULLTEXT": "0",
        "LOG_LEVEL": "warning",
        "Q_NAME": f"bench-digests-{os.getpid()}",
    })
    if database_url:
        os.environ["DATABASE_URL"] = database_url


def make_digests() -> list:
    from digests.models import Digest
    from digests.services import digest_add

    home = Digest.objects.home()
    slug, name, categories = DIGESTS[0]
    Digest.objects.filter(pk=home.pk).update(slug=slug, name=name, categories=categories)
    return [Digest.objects.get(pk=home.pk)] + [
        digest_add(slug=slug, name=name, categories=categories) for slug, name, categories in DIGESTS[1:]]


def collect(digests: list) -> tuple[object, float, dict[str, float]]:
    """The collection for every digest, and each digest's selection time (its part of the transaction)."""
    from publishing.days import collection

    selection: dict[str, float] = {}
    assign = collection._assign_to_digest

    def timed_assign(*, part, **options):
        started = time.perf_counter()
        try:
            return assign(part=part, **options)
        finally:
            selection[part.digest.slug] = time.perf_counter() - started

    collection._assign_to_digest = timed_assign
    try:
        started = time.perf_counter()
        result = collection.day_collect(date=DATE, digests=digests, source="rss", now=NOW, backfill=True)
        took = time.perf_counter() - started
    finally:
        collection._assign_to_digest = assign
    return result, took, selection


def draft_all(days: list, workers: int) -> tuple[int, float]:
    """Every day asks for its drafts; each distinct draft is run once, `workers` at a time."""
    from django.db import close_old_connections

    from publishing.days.pipeline import day_check_drafting, day_start_drafting
    from translations.services import draft_run

    drafts = {}
    for day in days:
        for draft in day_start_drafting(day=day, enqueue=False).drafts:
            drafts[draft.pk] = draft

    def run(draft_id: int):
        try:
            return draft_run(draft_id=draft_id)
        finally:
            close_old_connections()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, drafts))
    took = time.perf_counter() - started
    for day in days:
        day_check_drafting(day=day)
    return len(drafts), took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a database of its own (flushed); default: a temporary SQLite file")
    parser.add_argument("--workers", type=int, default=8, help="drafts run at once")
    args = parser.parse_args()

    from tests.local_server import LocalServer, Reply
    from tests.openai_stub import draft_reply

    feed_bytes = FEED.read_bytes()
    arxiv = LocalServer()
    arxiv.handler = lambda request: Reply(body=feed_bytes, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    arxiv.start()
    stub = LocalServer(keep_alive=True)
    stub.handler = lambda request: draft_reply()
    stub.start()
    with tempfile.TemporaryDirectory(prefix="bench-digests-") as var_dir:
        configure(var_dir, args.database_url, f"{arxiv.url}/rss", stub.url)
        import django
        django.setup()
        from django.core.management import call_command

        from publishing.models import Entry
        from translations.models import MachineDraft

        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        try:
            digests = make_digests()
            collection, collect_seconds, selection = collect(digests)
            requests = len(arxiv.requests)
            days = [result.day for result in collection.results]
            per_digest = Counter(Entry.objects.filter(day__in=days).values_list("digest__slug", flat=True))
            holders = Counter(Entry.objects.filter(day__in=days).values_list("paper_id", flat=True))
            shared = sum(1 for count in holders.values() if count > 1)
            stub.requests.clear()
            drafted, draft_seconds = draft_all(days, args.workers)
            calls = len([request for request in stub.requests if request.path.endswith("/chat/completions")])
            drafts_per_paper = Counter(MachineDraft.objects.values_list("paper_id", flat=True))
        finally:
            arxiv.stop()
            stub.stop()

    print(f"\nFive digests, one fetch: {FEED.name} ({feed_bytes.count(b'<item>')} items), day {DATE}, "
          f"{os.cpu_count()} CPUs, load average {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"  {'digest':<10} | {'categories':<22} | {'papers':>6} | {'selection (ms)':>14}")
    for slug, _name, categories in DIGESTS:
        print(f"  {slug:<10} | {', '.join(categories):<22} | {per_digest[slug]:>6} | {1000 * selection[slug]:>14.1f}")
    print(f"  distinct papers {len(holders)}, in two or more digests {shared}, entries {sum(per_digest.values())}")
    print(f"  fetch: {requests} request(s) to arXiv for {len(digests)} digests; collection {collect_seconds:.2f} s "
          f"(parsing and storing once, then each digest's selection)")
    print(f"  drafting: {drafted} drafts for {len(holders)} papers, {calls} LLM calls, "
          f"most drafts of one paper {max(drafts_per_paper.values(), default=0)}, {draft_seconds:.1f} s "
          f"with {args.workers} at once (stub answers at once)")
    checks = {
        "one fetch for every digest": requests == 1,
        "each paper drafted once (one LLM call per distinct paper)": calls == len(holders) == drafted
        and max(drafts_per_paper.values(), default=0) == 1,
        "every digest has papers": all(per_digest[slug] for slug, _n, _c in DIGESTS),
    }
    for name, ok in checks.items():
        print(f"  Target ({name}): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
