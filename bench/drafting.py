"""Benchmark: drafting a day of papers through a real django-q2 cluster against a local LLM stub.

    .venv/bin/python bench/drafting.py [--papers 200] [--concurrency 8] [--latency 1.0]

Steps: a fresh SQLite database in a temporary folder (or DATABASE_URL if set); a
generated feed of N papers collected as one day; an OpenAI-compatible stub on
127.0.0.1 answering every request after the given latency; `qcluster` with
`concurrency` workers started; the day's drafting queued; the clock stops when
every draft has finished. The run is repeated with a 0 s stub to show the
pipeline's own overhead. Prints a table; the target is wall time at most 1.25×
the ideal (N × latency / concurrency), with no paper drafted twice or lost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def configure(var_dir: str, llm_url: str, concurrency: int) -> dict:
    env = {
        "DJANGO_SETTINGS_MODULE": "digest_site.settings",
        "DEBUG": "1",
        "DIGEST_VAR_DIR": var_dir,
        "OPENAI_BASE_URL": f"{llm_url}/v1",
        "OPENAI_API_KEY": "bench",
        "DIGEST_LLM_MODEL": "stub-model",
        "DIGEST_LLM_RETRIES": "0",
        "DIGEST_FULLTEXT": "0",
        "DIGEST_LLM_CONCURRENCY": str(concurrency),
        "Q_WORKERS": str(concurrency),
        "LOG_LEVEL": "warning",
    }
    os.environ.update(env)
    return {**os.environ, **env}


def write_feed(path: Path, count: int) -> None:
    from tests.fake_arxiv import SimPaper, atom_feed

    published = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    papers = [
        SimPaper(f"2601.{80000 + n:05d}", 1, f"Benchmark paper {n}", "cs.SD", ["cs.SD"], published, published, published)
        for n in range(count)
    ]
    path.write_bytes(atom_feed(papers, total=count, start=0))


def run_once(*, papers: int, concurrency: int, latency: float, date: dt.date, env: dict, stub) -> dict:
    from django.db import connection

    from publishing.days.pipeline import day_start_drafting
    from publishing.models import DigestDay
    from tests.openai_stub import draft_reply
    from translations.models import MachineDraft

    stub.requests.clear()
    stub.handler = lambda request: draft_reply(delay=latency)
    day = DigestDay.objects.get(date=date)
    cluster = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "manage.py"), "qcluster"],
        env=env, cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        day_start_drafting(day=day, force=True)
        paper_ids = list(day.entries.values_list("paper_id", flat=True))
        drafts = MachineDraft.objects.filter(paper_id__in=paper_ids, created_at__gte=day.created_at)
        while drafts.filter(status__in=MachineDraft.ACTIVE).exists():
            time.sleep(0.05)
        wall = time.monotonic() - started
    finally:
        cluster.terminate()  # the cluster's own shutdown stops its workers
        try:
            cluster.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
    latest = MachineDraft.objects.filter(paper_id__in=paper_ids).latest_per_paper()
    connection.close()
    chat_requests = [r for r in stub.requests if r.path.endswith("/chat/completions")]
    return {
        "latency": latency,
        "wall": wall,
        "ideal": papers * latency / concurrency,
        "succeeded": latest.filter(status="succeeded").count(),
        "requests": len(chat_requests),
        "duplicates": len(chat_requests) - len({r.body for r in chat_requests}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=1.0)
    args = parser.parse_args()

    from tests.local_server import LocalServer

    stub = LocalServer().start()
    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as var_dir:
        env = configure(var_dir, stub.url, args.concurrency)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        feed = Path(var_dir) / "bench-feed.xml"
        write_feed(feed, args.papers)
        date = dt.date(2026, 1, 9)
        call_command("fetch_papers", "--date", date.isoformat(), "--file", str(feed), verbosity=0, stdout=open(os.devnull, "w"))

        rows = [
            run_once(papers=args.papers, concurrency=args.concurrency, latency=latency, date=date, env=env, stub=stub)
            for latency in (args.latency, 0.0)
        ]
    stub.stop()

    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"\nDrafting benchmark: {args.papers} papers, {args.concurrency} qcluster workers, ORM broker on {database}\n")
    print(f"{'stub latency':>12} | {'wall (s)':>8} | {'ideal (s)':>9} | {'ratio':>6} | {'per paper (ms)':>14} | {'succeeded':>9} | {'LLM calls':>9} | {'duplicates':>10}")
    print("-" * 100)
    for row in rows:
        ratio = f"{row['wall'] / row['ideal']:.2f}×" if row["ideal"] else "—"
        per_paper = 1000 * (row["wall"] - row["ideal"]) * args.concurrency / args.papers
        print(
            f"{row['latency']:>11.1f}s | {row['wall']:>8.2f} | {row['ideal']:>9.2f} | {ratio:>6} | {per_paper:>14.1f} | "
            f"{row['succeeded']:>9} | {row['requests']:>9} | {row['duplicates']:>10}"
        )
    first = rows[0]
    met = first["wall"] <= 1.25 * first["ideal"] and first["duplicates"] == 0 and first["succeeded"] == args.papers
    print(f"\nTarget (≤ 1.25× ideal, no duplicates, none lost): {'met' if met else 'NOT met'}")
    print("per paper = pipeline overhead per paper and worker: (wall − ideal) × workers / papers")


if __name__ == "__main__":
    main()
