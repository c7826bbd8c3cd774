"""/healthz answers while the process serves; /readyz names every part and is 503 when one fails."""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.db import OperationalError
from django.utils import timezone
from django_q.brokers.redis_broker import Redis as RedisBroker

from monitoring import checks
from monitoring.checks import PARTS, health_report
from tests.monitoring import problems

REPO_ROOT = Path(__file__).resolve().parents[2]


def readyz(client):
    response = client.get("/readyz")
    return response, json.loads(response.content)


def test_healthz_answers_without_the_database_and_without_cookies(client):
    response = client.get("/healthz")  # no database here: pytest-django refuses any query in a test not marked
    assert response.status_code == 200 and response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"] and not response.cookies


@pytest.mark.django_db
def test_a_new_installation_is_ready(client):
    response, report = readyz(client)
    assert response.status_code == 200 and report["ready"] is True
    assert list(report["parts"]) == list(PARTS)
    assert report["parts"]["morning_run"]["detail"] == "no morning run yet (a new installation)"
    assert "no-store" in response["Cache-Control"] and not response.cookies


@pytest.mark.django_db
def test_readyz_is_a_few_queries_and_writes_nothing(client, django_assert_max_num_queries):
    now = timezone.now()
    problems.workers_dead(now)
    problems.morning_failed(now)
    problems.drafts_failed(now)
    problems.publication_overdue(now)
    with django_assert_max_num_queries(14) as queries:
        response, _report = readyz(client)
    assert response.status_code == 503
    assert not [query for query in queries.captured_queries
                if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


BREAKS = {
    "workers": (problems.workers_dead, "no worker cluster has run its schedule"),
    "morning_run": (problems.morning_failed, "failed: HTTPError: 503"),
    "drafts": (problems.drafts_failed, "machine draft(s) failed"),
    "scheduled_publications": (problems.publication_overdue, "is overdue (pending)"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("part", sorted(BREAKS))
def test_each_failing_part_makes_readyz_503_and_says_why(client, part):
    now = timezone.now()
    problems.morning_well(now)
    assert readyz(client)[0].status_code == 200
    make, words = BREAKS[part]
    make(now)
    response, report = readyz(client)
    assert response.status_code == 503 and report["ready"] is False
    failing = {name for name, health in report["parts"].items() if not health["ok"]}
    assert failing == {part}
    assert words in report["parts"][part]["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("make, part", [(problems.email_stuck, "email_deliveries"),
                                        (problems.webhook_stuck, "webhook_deliveries")])
def test_stuck_deliveries_make_readyz_503(client, published_day, make, part):
    now = timezone.now()
    problems.morning_well(now)
    assert readyz(client)[0].status_code == 200
    make(now)
    response, report = readyz(client)
    assert response.status_code == 503
    assert {name for name, health in report["parts"].items() if not health["ok"]} == {part}
    assert report["parts"][part]["age_seconds"] >= 3600


@pytest.mark.django_db
def test_a_stale_feed_fails_the_morning_run(client):
    now = timezone.now()
    problems.morning_stale(now)
    report = readyz(client)[1]["parts"]["morning_run"]
    assert not report["ok"] and "kept 0" in report["detail"] and "arXiv announced" in report["detail"]


@pytest.mark.django_db
def test_a_morning_with_no_fetch_past_its_anchor_fails_but_not_before_it():
    tz = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, the tests' DIGEST_TIMEZONE
    yesterday_anchor = dt.datetime(2026, 1, 8, 8, 50, tzinfo=tz)
    problems.fetch_run(dt.date(2026, 1, 8), "succeeded", at=yesterday_anchor + dt.timedelta(minutes=1))
    before = health_report(now=dt.datetime(2026, 1, 9, 8, 55, tzinfo=tz)).part("morning_run")
    assert before.ok and before.detail == "2026-01-09: due at 2026-01-09 08:50"
    late = health_report(now=dt.datetime(2026, 1, 9, 9, 30, tzinfo=tz)).part("morning_run")
    assert not late.ok and "no fetch for 2026-01-09" in late.detail and late.age_seconds == 40 * 60
    early = health_report(now=dt.datetime(2026, 1, 9, 8, 0, tzinfo=tz)).part("morning_run")
    assert early.ok and "2026-01-08: fetch" in early.detail  # before the anchor, yesterday's morning counts


@pytest.mark.django_db
def test_a_failed_scheduled_publication_counts_until_the_day_is_published(client, published_day, chief):
    from publishing.models import ScheduledPublication

    now = timezone.now()
    problems.morning_well(now)
    failed = ScheduledPublication.objects.create(day=published_day, publish_at=now - dt.timedelta(minutes=30),
                                                 scheduled_by=chief, status=ScheduledPublication.Status.FAILED,
                                                 outcome="nothing approved")
    # The day's live version was published before the order failed: the failure still counts.
    published_day.live_publication.__class__.objects.filter(day=published_day).update(
        published_at=now - dt.timedelta(hours=2))
    part = readyz(client)[1]["parts"]["scheduled_publications"]
    assert not part["ok"] and part["problems"] == [
        {"subject": f"#{failed.pk}", "detail": part["problems"][0]["detail"]}]
    assert "failed: nothing approved" in part["detail"]
    # Published by hand after the failure: made good.
    published_day.live_publication.__class__.objects.filter(day=published_day).update(published_at=now)
    assert readyz(client)[1]["parts"]["scheduled_publications"]["ok"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_makes_readyz_503(client, monkeypatch):
    dead = RedisBroker(list_key="health-test")
    dead.connection = redis.Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=2)
    monkeypatch.setattr(checks, "get_broker", lambda: dead)
    response, report = readyz(client)
    assert response.status_code == 503
    assert not report["parts"]["broker"]["ok"] and "ConnectionError" in report["parts"]["broker"]["detail"]
    assert all(health["ok"] for name, health in report["parts"].items() if name != "broker")


@pytest.fixture
def redis_server(tmp_path):
    import shutil
    import time

    if not shutil.which("redis-server"):
        pytest.skip("no redis-server on this machine")
    port = _closed_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.django_db
def test_a_redis_broker_answers_with_its_queue_length(client, monkeypatch, redis_server):
    broker = RedisBroker(list_key="health-test")
    broker.connection = redis.Redis.from_url(redis_server)
    broker.connection.rpush(broker.list_key, "task-1", "task-2")
    monkeypatch.setattr(checks, "get_broker", lambda: broker)
    response, report = readyz(client)
    assert response.status_code == 200 and report["parts"]["broker"]["detail"] == "redis: answers, 2 task(s) waiting"


class _DeadConnection:
    vendor = "postgresql"

    def cursor(self):
        raise OperationalError('connection to server at "127.0.0.1", port 1 failed: Connection refused')


@pytest.mark.django_db
def test_a_database_that_does_not_answer_makes_readyz_503_and_the_rest_unchecked(client, monkeypatch):
    monkeypatch.setattr(checks, "connection", _DeadConnection())
    response, report = readyz(client)
    assert response.status_code == 503
    assert "Connection refused" in report["parts"]["database"]["detail"]
    assert {name for name, health in report["parts"].items() if health["detail"].startswith("not checked")} == set(
        PARTS[2:])


READYZ_IN_A_PROCESS = """
import json, django
django.setup()
from django.test import Client
response = Client(HTTP_HOST="localhost").get("/readyz")
print(response.status_code)
print(response.content.decode())
"""


@pytest.mark.parametrize("database_url", ["postgres://postgres@127.0.0.1:1/arxiv_digest",
                                          "sqlite:////nonexistent-folder/for/health/db.sqlite3"])
def test_readyz_of_a_process_whose_database_is_down_is_503(tmp_path, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL", "DJANGO_SETTINGS"))}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="digest_site.settings", DIGEST_VAR_DIR=str(tmp_path),
               DATABASE_URL=database_url)
    result = subprocess.run([sys.executable, "-c", READYZ_IN_A_PROCESS], env=env, cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    status, body = result.stdout.split("\n", 1)
    report = json.loads(body)
    assert status == "503", result.stderr
    assert not report["parts"]["database"]["ok"] and report["parts"]["database"]["detail"].startswith("unreachable")
    assert not report["parts"]["broker"]["ok"]  # the ORM broker lives in the same database
