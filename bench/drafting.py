"""Benchmark: drafting a day of papers through a real django-q2 cluster against a local LLM stub.

    .venv/bin/python bench/drafting.py [--only abstracts|fulltext] [--runs 3] [--overhead]
                                       [--papers N] [--concurrency C] [--latency L] [--page-kb 200]

Two scenarios, each with its target:

- abstracts: 200 papers, 8 workers, an LLM stub answering after 1 s, drafts written from the
  abstract (DIGEST_FULLTEXT=0). Target: wall time ≤ 1.10 × the ideal.
- fulltext: 1,000 papers, 32 workers, the same stub, and each paper's full text fetched from a local
  server standing in for arXiv's HTML (a LaTeXML page of about --page-kb KiB), with arXiv's
  politeness delay (ARXIV_API_DELAY=3). Target: wall time ≤ 1.25 × the ideal.

Each run: a fresh database (SQLite in a temporary folder, or the database DATABASE_URL names:
give it one of its own, it is flushed); the day collected from a generated feed; `qcluster`
started and waited for until it has run a task (so its start-up is outside the clock); then the
clock starts at the first drafting task queued and stops when no draft of the day is queued or
running. The cluster's CPU (every process of it: workers, pusher, monitor, sentinel) is read from
/proc over the same span. No paper may be drafted twice or lost.

The ideal is the time the LLM's latency and arXiv's delay alone would take, every other cost zero:
each worker drafts one paper after another, ⌈papers ÷ workers⌉ at most; a draft takes the LLM's
latency L; with full text, a worker waits until ARXIV_API_DELAY (D) has passed since its previous
request to arXiv (papers/arxiv_client.py keeps that delay per process, and each worker is a
process), so a worker starts a draft at most every max(L, D) seconds:

    ideal = (⌈papers ÷ workers⌉ − 1) × max(L, D) + L        (D = 0 without full text)
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

DATE = dt.date(2026, 1, 9)
LATEXML_PAGE = REPO_ROOT / "tests" / "data" / "fulltext_latexml.html"


@dataclass(frozen=True)
class Scenario:
    name: str
    papers: int
    concurrency: int
    latency: float  # seconds the LLM stub takes to answer
    fulltext: bool
    arxiv_delay: float  # ARXIV_API_DELAY: seconds between one process's requests to arXiv
    target: float  # wall time ÷ ideal at most

    @property
    def period(self) -> float:
        """How often one worker can start a draft, at best."""
        return max(self.latency, self.arxiv_delay if self.fulltext else 0.0)

    @property
    def ideal(self) -> float:
        per_worker = math.ceil(self.papers / self.concurrency)
        return (per_worker - 1) * self.period + self.latency if per_worker else 0.0

    @property
    def ideal_explained(self) -> str:
        per_worker = math.ceil(self.papers / self.concurrency)
        if self.fulltext:
            return (f"ideal = (⌈{self.papers} ÷ {self.concurrency}⌉ − 1) × max(L {self.latency:g} s, D {self.arxiv_delay:g} s)"
                    f" + L = {per_worker - 1} × {self.period:g} + {self.latency:g} = {self.ideal:g} s")
        return f"ideal = ⌈{self.papers} ÷ {self.concurrency}⌉ × L {self.latency:g} s = {self.ideal:g} s"


SCENARIOS = {
    "abstracts": Scenario("abstracts", papers=200, concurrency=8, latency=1.0, fulltext=False, arxiv_delay=0.0,
                          target=1.10),
    "fulltext": Scenario("fulltext", papers=1000, concurrency=32, latency=1.0, fulltext=True, arxiv_delay=3.0,
                         target=1.25),
}


def configure(var_dir: str, llm_url: str) -> None:
    """The bench process's settings (it collects the day and queues the drafts)."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "digest_site.settings",
        "DEBUG": "1",
        "DIGEST_VAR_DIR": var_dir,
        "OPENAI_BASE_URL": f"{llm_url}/v1",
        "OPENAI_API_KEY": "bench",
        "DIGEST_LLM_MODEL": "stub-model",
        "DIGEST_LLM_RETRIES": "0",
        "Q_NAME": f"bench-drafting-{os.getpid()}",
        "LOG_LEVEL": "warning",
    })


def cluster_env(scenario: Scenario, arxiv_url: str) -> dict:
    return {
        **os.environ,
        "DIGEST_LLM_CONCURRENCY": str(scenario.concurrency),
        "Q_WORKERS": str(scenario.concurrency),
        "DIGEST_FULLTEXT": "1" if scenario.fulltext else "0",
        "ARXIV_HTML_URL": f"{arxiv_url}/html",
        "ARXIV_PDF_URL": f"{arxiv_url}/pdf",
        "ARXIV_API_DELAY": str(scenario.arxiv_delay),
    }


def write_feed(path: Path, count: int) -> None:
    from tests.fake_arxiv import SimPaper, atom_feed

    published = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    papers = [
        SimPaper(f"2601.{80000 + n:05d}", 1, f"Benchmark paper {n}", "cs.SD", ["cs.SD"], published, published, published)
        for n in range(count)
    ]
    path.write_bytes(atom_feed(papers, total=count, start=0))


def full_text_page(kib: int) -> bytes:
    """A LaTeXML page of about `kib` KiB: the sections of tests/data/fulltext_latexml.html, repeated."""
    page = LATEXML_PAGE.read_text()
    start, end = page.index("<section"), page.rindex("</section>") + len("</section>")
    sections = page[start:end]
    repeats = max(1, round((kib * 1024 - len(page) + len(sections)) / len(sections)))
    return (page[:start] + sections * repeats + page[end:]).encode()


def collect_day(var_dir: str, papers: int) -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    feed = Path(var_dir) / f"bench-feed-{papers}.xml"
    if not feed.exists():
        write_feed(feed, papers)
    with open(os.devnull, "w") as quiet:
        call_command("fetch_papers", "--date", DATE.isoformat(), "--file", str(feed), verbosity=0, stdout=quiet)


def session_cpu_seconds(session: int) -> float:
    """CPU time of every live process of the session, with what its finished children used."""
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == session:  # fields from the state on: state ppid pgrp session ...
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until_cluster_runs(cluster: subprocess.Popen, timeout: float = 120) -> float:
    """Queue a task and wait for its result: the cluster's workers are forked and take tasks. Seconds taken."""
    from django_q.tasks import async_task, result

    started = time.monotonic()
    task_id = async_task("math.floor", 1.5, sync=False)
    while result(task_id) is None:
        if cluster.poll() is not None:
            raise SystemExit(f"qcluster stopped (exit {cluster.returncode}) before it took a task")
        if time.monotonic() - started > timeout:
            raise SystemExit(f"qcluster took no task within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def stop(cluster: subprocess.Popen) -> None:
    cluster.terminate()  # the cluster's own shutdown stops its workers
    try:
        cluster.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait()


def run_once(scenario: Scenario, *, var_dir: str, stub, arxiv) -> dict:
    from django.db import connection
    from django_q.signals import pre_enqueue

    from publishing.days.pipeline import day_start_drafting
    from publishing.models import DigestDay
    from tests.openai_stub import draft_reply
    from translations.models import MachineDraft

    collect_day(var_dir, scenario.papers)
    stub.requests.clear()
    arxiv.requests.clear()
    stub.handler = lambda request: draft_reply(delay=scenario.latency)
    day = DigestDay.objects.get(date=DATE)
    cluster = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "manage.py"), "qcluster"], env=cluster_env(scenario, arxiv.url), cwd=REPO_ROOT,
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    first_queued = []

    def clock_starts(sender, task, **kwargs):
        if not first_queued and task.get("func", "").endswith("draft_task"):
            first_queued.append((time.monotonic(), session_cpu_seconds(cluster.pid)))

    try:
        start_up = wait_until_cluster_runs(cluster)
        pre_enqueue.connect(clock_starts)
        day_start_drafting(day=day)
        started, cpu_before = first_queued[0]
        paper_ids = list(day.entries.values_list("paper_id", flat=True))
        drafts = MachineDraft.objects.filter(paper_id__in=paper_ids)
        while drafts.active().exists():
            time.sleep(0.05)
        wall = time.monotonic() - started
        cpu = session_cpu_seconds(cluster.pid) - cpu_before
    finally:
        pre_enqueue.disconnect(clock_starts)
        stop(cluster)
    latest = drafts.latest_per_paper()
    chat_requests = [r for r in stub.requests if r.path.endswith("/chat/completions")]
    outcome = {
        "wall": wall,
        "start_up": start_up,
        "cpu_per_draft_ms": 1000 * cpu / scenario.papers,
        "succeeded": latest.filter(status="succeeded").count(),
        "from_full_text": latest.filter(text_source="html").count(),
        "requests": len(chat_requests),
        "duplicates": len(chat_requests) - len({r.body for r in chat_requests}),
    }
    connection.close()
    return outcome


def met(scenario: Scenario, row: dict) -> bool:
    complete = row["duplicates"] == 0 and row["succeeded"] == scenario.papers and row["requests"] == scenario.papers
    fed = not scenario.fulltext or row["from_full_text"] == scenario.papers
    return complete and fed and (not scenario.ideal or row["wall"] <= scenario.target * scenario.ideal)


def report(scenario: Scenario, rows: list[dict], page_kib: int, *, judged: bool) -> bool:
    source = (f"full text: a {page_kib} KiB LaTeXML page per paper from a local server, ARXIV_API_DELAY "
              f"{scenario.arxiv_delay:g} s" if scenario.fulltext else "from the abstracts")
    print(f"\n{scenario.name}: {scenario.papers} papers, {scenario.concurrency} workers, LLM stub {scenario.latency:g} s, "
          f"{source}")
    print(f"  {scenario.ideal_explained}")
    print(f"  {'run':>3} | {'wall (s)':>8} | {'ratio':>6} | {'cluster CPU/draft (ms)':>22} | {'start-up (s)':>12} | "
          f"{'succeeded':>9} | {'LLM calls':>9} | {'duplicates':>10} | {'full text':>9}")
    for number, row in enumerate(rows, 1):
        ratio = f"{row['wall'] / scenario.ideal:.2f}×" if scenario.ideal else "—"
        print(f"  {number:>3} | {row['wall']:>8.2f} | {ratio:>6} | {row['cpu_per_draft_ms']:>22.1f} | {row['start_up']:>12.1f} | "
              f"{row['succeeded']:>9} | {row['requests']:>9} | {row['duplicates']:>10} | {row['from_full_text']:>9}")
    walls = [row["wall"] for row in rows]
    cpus = [row["cpu_per_draft_ms"] for row in rows]
    if scenario.ideal:
        print(f"  ratio best {min(walls) / scenario.ideal:.2f}×, median {statistics.median(walls) / scenario.ideal:.2f}×; "
              f"cluster CPU per draft best {min(cpus):.1f} ms, median {statistics.median(cpus):.1f} ms")
    else:
        print(f"  wall best {min(walls):.2f} s, median {statistics.median(walls):.2f} s (pipeline overhead alone)")
    best = min(rows, key=lambda row: row["wall"])
    ok = met(scenario, best)
    if judged:
        print(f"  Target (≤ {scenario.target:.2f}× ideal at best, every paper drafted once, none lost): "
              f"{'met' if ok else 'NOT met'}")
    return ok or not judged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(SCENARIOS), help="run one scenario (default: both)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each scenario (best and median are reported)")
    parser.add_argument("--overhead", action="store_true", help="also run each scenario with a 0 s stub")
    parser.add_argument("--papers", type=int, help="instead of the scenario's")
    parser.add_argument("--concurrency", type=int, help="instead of the scenario's")
    parser.add_argument("--latency", type=float, help="instead of the scenario's")
    parser.add_argument("--page-kb", type=int, default=200, help="size of the full-text page (KiB)")
    args = parser.parse_args()
    overrides = {name: value for name, value in (("papers", args.papers), ("concurrency", args.concurrency),
                                                 ("latency", args.latency)) if value is not None}
    scenarios = [replace(SCENARIOS[name], **overrides) for name in ([args.only] if args.only else SCENARIOS)]
    if args.overhead:  # the pipeline's own cost: no target
        scenarios += [replace(scenario, name=f"{scenario.name}, 0 s stub", latency=0.0) for scenario in list(scenarios)]

    from tests.local_server import LocalServer, Reply

    stub = LocalServer(keep_alive=True).start()
    page = full_text_page(args.page_kb)
    arxiv = LocalServer(keep_alive=True).start()
    arxiv.handler = lambda request: Reply(body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    results = []
    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as var_dir:
        configure(var_dir, stub.url)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        database = connection.vendor
        for scenario in scenarios:
            rows = [run_once(scenario, var_dir=var_dir, stub=stub, arxiv=arxiv) for _ in range(args.runs)]
            results.append((scenario, rows))
    stub.stop()
    arxiv.stop()

    load = os.getloadavg()
    print(f"\nDrafting benchmark: a real qcluster on the ORM broker, {database}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end, {args.runs} run(s) each")
    print("Clock: from the first drafting task queued (the cluster already running) until no draft is queued or "
          "running. Cluster CPU: all its processes over that span, per paper.")
    verdicts = [report(scenario, rows, len(page) // 1024, judged=scenario.latency > 0) for scenario, rows in results]
    print(f"\nAll targets: {'met' if all(verdicts) else 'NOT met'}")


if __name__ == "__main__":
    main()
