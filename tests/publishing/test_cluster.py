"""A real django-q2 cluster (ORM broker, separate processes) drafting a whole day."""

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_q.conf import Conf

from papers.models import Paper
from publishing.days.pipeline import run_daily
from publishing.models import DigestDay
from tests.builders import DEMO_FEED
from tests.openai_stub import draft_reply
from tests.redis_db import redis_forget, redis_or_skip, redis_url
from translations.models import MachineDraft
from translations.services import drafts_recover_stuck

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DATE = dt.date(2026, 1, 9)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Cluster:
    """`manage.py qcluster` in its own process group, on the test database."""

    def __init__(self, llm_url: str, **env) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "Q_SYNC": "0",
            "Q_WORKERS": "2",
            "OPENAI_BASE_URL": f"{llm_url}/v1",
            "OPENAI_API_KEY": "test-key",
            "DIGEST_LLM_MODEL": "stub-model",
            "DIGEST_LLM_RETRIES": "0",
            **env,
        }
        self.process = None
        # In the test run's own folder, removed with it (tests/settings.py).
        self.log = tempfile.NamedTemporaryFile(prefix="qcluster-", suffix=".log", dir=django_settings.VAR_DIR,
                                               delete=False)

    def start(self) -> "Cluster":
        self.process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "manage.py"), "qcluster"],
            env=self.env, cwd=REPO_ROOT, start_new_session=True, stdout=self.log, stderr=subprocess.STDOUT,
        )
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL every process of the cluster: workers die mid-task, nothing is cleaned up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # the cluster's own shutdown stops its workers
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:  # and nothing of it may outlive the test, holding the database
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        if connection.vendor == "postgresql":  # a killed worker's session lingers a moment
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


def wait_for(condition, timeout: float, what: str, cluster: "Cluster | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    drafts = list(MachineDraft.objects.values_list("paper__arxiv_id", "status", "attempts", "error"))
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what}; drafts {drafts}; cluster said:\n"
        + (cluster.output() if cluster else "")
    )


def day_status() -> str:
    return DigestDay.objects.get(date=DEMO_DATE).status


@pytest.fixture
def queued_day(transactional_db, settings, local_server, monkeypatch):
    """The demo day collected and its drafting tasks in the ORM broker's queue (no cluster yet)."""
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    monkeypatch.setattr(Conf, "SYNC", False)
    run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])
    assert day_status() == DigestDay.Status.DRAFTING
    return local_server


@pytest.mark.timeout_sensitive
def test_cluster_drafts_a_whole_day_and_moves_it_to_review(queued_day):
    queued_day.handler = lambda request: draft_reply()
    cluster = Cluster(queued_day.url).start()
    try:
        wait_for(lambda: day_status() == DigestDay.Status.IN_REVIEW, 90, "the day to reach review", cluster)
    finally:
        cluster.stop()
    assert MachineDraft.objects.filter(status="succeeded").count() == 6
    assert len(queued_day.requests) == 6


@pytest.mark.timeout_sensitive
def test_cluster_with_redis_as_broker_drafts_a_whole_day(transactional_db, settings, local_server, monkeypatch):
    broker_url = redis_url()
    redis_client = redis_or_skip(broker_url)
    queue_name = f"arxiv-digest-test-{os.getpid()}"
    redis_queue = f"django_q:{queue_name}:q"  # where django-q2's Redis broker keeps the tasks
    redis_forget(redis_client, queue_name)
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    for name, value in {"SYNC": False, "ORM": None, "REDIS": broker_url, "PREFIX": queue_name, "CLUSTER_NAME": queue_name}.items():
        monkeypatch.setattr(Conf, name, value)
    local_server.handler = lambda request: draft_reply()
    run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])
    assert redis_client.llen(redis_queue) == 6, "the tasks wait in Redis, not in the database"

    cluster = Cluster(local_server.url, Q_REDIS_URL=broker_url, Q_NAME=queue_name).start()
    try:
        wait_for(lambda: day_status() == DigestDay.Status.IN_REVIEW, 90, "the day to reach review", cluster)
    finally:
        cluster.stop()
        redis_forget(redis_client, queue_name)
    assert MachineDraft.objects.filter(status="succeeded").count() == 6
    assert len(local_server.requests) == 6


@pytest.mark.timeout_sensitive
def test_worker_killed_mid_task_leaves_the_paper_to_be_drafted_exactly_once(queued_day):
    slow_paper = Paper.objects.get(arxiv_id="2601.90008")
    first_call = {"seen": False}

    def answer(request):
        # The first request never gets its answer in time: the cluster is killed while it waits.
        if not first_call["seen"]:
            first_call["seen"] = True
            return draft_reply(delay=30)
        return draft_reply()

    queued_day.handler = answer
    # Q_TIMEOUT must outlast the LLM client (checked at start-up); 8 s leaves a loaded machine room.
    timing = {"Q_TIMEOUT": "8", "Q_RETRY": "10", "Q_WORKERS": "1", "DIGEST_LLM_TIMEOUT": "8"}
    cluster = Cluster(queued_day.url, **timing).start()
    wait_for(lambda: MachineDraft.objects.filter(status="running").exists(), 60, "a draft to start", cluster)
    running = MachineDraft.objects.get(status="running")
    cluster.kill()
    assert MachineDraft.objects.get(pk=running.pk).status == "running", "the killed worker left it running"

    cluster = Cluster(queued_day.url, **timing).start()
    try:
        wait_for(lambda: day_status() == DigestDay.Status.IN_REVIEW, 120, "the day to reach review after the restart", cluster)
    finally:
        cluster.stop()

    per_paper = {paper_id: MachineDraft.objects.filter(paper_id=paper_id) for paper_id in
                 DigestDay.objects.get(date=DEMO_DATE).entries.values_list("paper_id", flat=True)}
    assert all(drafts.count() == 1 and drafts.get().status == "succeeded" for drafts in per_paper.values())
    recovered = MachineDraft.objects.get(pk=running.pk)
    assert recovered.attempts == 2
    assert slow_paper.pk in per_paper


@pytest.mark.timeout_sensitive
def test_workers_with_another_secret_key_draft_nothing_and_the_watchdog_says_why(queued_day):
    """Workers that cannot read the tasks (another SECRET_KEY) drop them; the drafts do not hang."""
    queued_day.handler = lambda request: draft_reply()
    cluster = Cluster(queued_day.url, SECRET_KEY="another-key-entirely").start()
    try:
        wait_for(lambda: "BadSignature" in cluster.output() or "signature" in cluster.output().lower(), 30,
                 "the cluster to refuse the tasks", cluster)
    finally:
        cluster.stop()
    assert set(MachineDraft.objects.values_list("status", flat=True)) == {"queued"}
    assert queued_day.requests == []
    handed_out = MachineDraft.objects.order_by("-enqueued_at").first().enqueued_at
    report = drafts_recover_stuck(now=handed_out + dt.timedelta(seconds=Conf.TIMEOUT + 1))
    assert report.failed == 6
    day = DigestDay.objects.get(date=DEMO_DATE)
    assert day.status == DigestDay.Status.NEEDS_ATTENTION and "same SECRET_KEY" in day.attention_reason


@pytest.mark.timeout_sensitive
def test_with_an_llm_slower_than_q_timeout_every_draft_ends_failed_with_the_reason(queued_day, settings):
    """A real cluster, an LLM that never answers in time: each draft fails (its client gives up, or
    its task is killed and the watchdog fails it after its tries), and the day says why."""
    queued_day.handler = lambda request: draft_reply(delay=30)
    timing = {"Q_TIMEOUT": "3", "Q_RETRY": "5", "Q_WORKERS": "6", "DIGEST_LLM_TIMEOUT": "3"}
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 3}  # the watchdog here uses the cluster's lease
    cluster = Cluster(queued_day.url, **timing).start()

    def all_finished() -> bool:
        drafts_recover_stuck()  # the watchdog's schedule, run as often as the test looks
        return not MachineDraft.objects.filter(status__in=["queued", "running"]).exists()

    try:
        wait_for(all_finished, 90, "every draft to reach a final state", cluster)
    finally:
        cluster.stop()
    errors = set(MachineDraft.objects.values_list("error", flat=True))
    assert all("timed out" in error.lower() or "Q_TIMEOUT" in error for error in errors), errors
    day = DigestDay.objects.get(date=DEMO_DATE)
    assert day.status == DigestDay.Status.NEEDS_ATTENTION and "6 machine draft(s) failed" in day.attention_reason
