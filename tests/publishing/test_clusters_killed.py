"""Two real django-q2 clusters on Redis (which hands a task out once, with no acknowledgement), one of
them killed with SIGKILL mid-drafting: the other finishes every draft by itself, no draft fails, and
no one runs a command. The drafts' watchdog runs from its real Schedule, in the surviving cluster."""

import datetime as dt
import re
import threading
import time
from collections import Counter

import pytest
from django.conf import settings as django_settings

from publishing.days.pipeline import run_daily
from publishing.days.schedule import watchdog_schedule_install
from publishing.models import DayTransition, DigestDay
from tests.fake_arxiv import SimPaper, atom_feed
from tests.openai_stub import draft_reply
from tests.publishing.test_cluster import Cluster, wait_for
from tests.redis_db import redis_broker
from translations.models import MachineDraft

DATE = dt.date(2026, 1, 9)
PAPERS = 16
LLM_SECONDS = 2.0
# Short, but Q_TIMEOUT must outlast the LLM client (checked at start-up) and leave a loaded machine room;
# the watchdog's Schedule runs every minute (its shortest), checked by each cluster's scheduler every 30 s.
TIMING = {"Q_TIMEOUT": "8", "Q_RETRY": "10", "DIGEST_LLM_TIMEOUT": "8", "Q_WORKERS": "2",
          "DIGEST_WATCHDOG_MINUTES": "1"}
TITLE = re.compile(r"Paper under a killed cluster (\d+)")


def feed_of(count: int, path) -> str:
    published = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    papers = [SimPaper(f"2601.{70000 + n:05d}", 1, f"Paper under a killed cluster {n}", "cs.SD", ["cs.SD"],
                       published, published, published) for n in range(count)]
    path.write_bytes(atom_feed(papers, total=count, start=0))
    return str(path)


class LlmStub:
    """The OpenAI stub's handler: answers after LLM_SECONDS, counting calls by cluster (the base URL's
    first path segment) and by paper, and which clusters have a call in flight."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = Counter()  # (cluster, paper number) → calls
        self.in_flight = Counter()  # cluster → calls waiting for their answer

    def __call__(self, request):
        cluster = request.path.strip("/").split("/")[0]
        paper = int(TITLE.search(request.body.decode()).group(1))
        with self.lock:
            self.calls[cluster, paper] += 1
            self.in_flight[cluster] += 1
        try:
            time.sleep(LLM_SECONDS)
        finally:
            with self.lock:
                self.in_flight[cluster] -= 1
        return draft_reply()

    def calls_by(self, cluster: str) -> int:
        with self.lock:
            return sum(count for (by, _paper), count in self.calls.items() if by == cluster)

    def per_paper(self) -> Counter:
        with self.lock:
            per_paper = Counter()
            for (_cluster, paper), count in self.calls.items():
                per_paper[paper] += count
            return per_paper


def drafts(status: str) -> int:
    return MachineDraft.objects.filter(status=status).count()


@pytest.mark.timeout_sensitive
def test_a_cluster_killed_mid_drafting_leaves_every_draft_to_the_other(
        transactional_db, settings, local_server, monkeypatch, tmp_path):
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, settings.DIGEST_LLM_MODEL = f"{local_server.url}/v1", "k", "m"
    settings.DIGEST_WATCHDOG_MINUTES = 1
    llm = LlmStub()
    local_server.handler = llm
    with redis_broker(monkeypatch) as broker:
        run_daily(date=DATE, source="file", files=[feed_of(PAPERS, tmp_path / "feed.xml")])
        assert broker.client.llen(broker.queue_key) == PAPERS, "the tasks wait in Redis"
        watchdog_schedule_install()  # what install_schedule does at deployment
        clusters = {name: Cluster(local_server.url, OPENAI_BASE_URL=f"{local_server.url}/{name}/v1", **TIMING,
                                  **broker.cluster_env()) for name in ("a", "b")}
        started = time.monotonic()
        try:
            for cluster in clusters.values():
                cluster.start()
            # Mid-drafting: both clusters draft, and the one to kill has a call in flight.
            wait_for(lambda: llm.in_flight["a"] > 0 and llm.calls_by("b") > 0, 120,
                     "both clusters to draft", clusters["a"])
            clusters["a"].kill()
            killed = time.monotonic()
            at_kill = {"succeeded": drafts("succeeded"), "running": drafts("running"), "queued": drafts("queued"),
                       "in Redis": broker.client.llen(broker.queue_key)}
            wait_for(lambda: DigestDay.objects.get(date=DATE).status != DigestDay.Status.DRAFTING, 240,
                     "the day to leave drafting with one cluster left", clusters["b"])
            recovered = time.monotonic()
        finally:
            for cluster in clusters.values():
                cluster.stop()

    day = DigestDay.objects.get(date=DATE)
    assert day.status == DigestDay.Status.IN_REVIEW, day.attention_reason
    rows = list(MachineDraft.objects.select_related("paper"))
    assert len(rows) == PAPERS and {row.status for row in rows} == {"succeeded"}, [
        (row.paper.arxiv_id, row.status, row.error) for row in rows]
    assert not DayTransition.objects.filter(day=day, to_status=DigestDay.Status.NEEDS_ATTENTION).exists()
    # At most one LLM call per claim: a paper was asked twice only when the killed cluster had claimed it
    # (and, mostly, was waiting for its answer; a worker killed between its claim and its call asked nothing).
    per_paper = llm.per_paper()
    attempts = {int(TITLE.search(row.paper.title).group(1)): row.attempts for row in rows}
    # (A third claim is a retry of a task that outlived Q_RETRY on a loaded machine: still no call without a claim.)
    assert all(1 <= per_paper[paper] <= claims for paper, claims in attempts.items()), (per_paper, attempts)
    killed_claimed = sum(1 for row in rows if row.attempts == 2)
    killed_mid_call = sum(1 for paper, claims in attempts.items() if claims == 2 and per_paper[paper] == 2)
    lost_unstarted = sum(1 for row in rows if row.attempts == 1 and row.enqueues > 1)
    assert killed_claimed + lost_unstarted >= 1, "the killed cluster held nothing: the test tested nothing"
    print(f"\nkill mid-drafting on Redis ({django_settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}): "
          f"{PAPERS} papers, 2 clusters × 2 workers, LLM {LLM_SECONDS:g} s, Q_TIMEOUT {TIMING['Q_TIMEOUT']} s; "
          f"killed {killed - started:.1f} s after start ({at_kill}); day in review {recovered - killed:.1f} s "
          f"after the kill; {killed_claimed} drafts held by the killed cluster ({killed_mid_call} mid-call: 2 LLM "
          f"calls each), {lost_unstarted} tasks "
          f"lost unstarted (handed out again, 1 call each); LLM calls per paper "
          f"{sum(per_paper.values()) / PAPERS:.2f}")
