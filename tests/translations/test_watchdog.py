"""Stuck drafts become visible and recover by themselves: the watchdog hands out again what a dead
worker left, and fails with the real reason what no worker can finish; the day then says why."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule

from publishing.days.pipeline import run_daily
from publishing.days.schedule import watchdog_schedule_install, workers_status
from publishing.models import DigestDay
from tests.builders import DEMO_DATE, DEMO_FEED
from translations.models import MachineDraft
from translations.services import MAX_CLAIMS, drafts_recover_stuck

LEASE = dt.timedelta(seconds=settings.Q_CLUSTER["timeout"])


@pytest.fixture
def queued_day(db, settings, monkeypatch, django_capture_on_commit_callbacks):
    """The demo day collected and its drafts handed to the ORM broker's queue, with no worker running."""
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, settings.DIGEST_LLM_MODEL = "http://127.0.0.1:9/v1", "k", "m"
    monkeypatch.setattr(Conf, "SYNC", False)
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])
    return DigestDay.objects.get(date=DEMO_DATE)


def test_drafts_handed_out_record_when_and_how_often(queued_day):
    drafts = MachineDraft.objects.all()
    assert drafts.count() == 6 and {(d.status, d.enqueues) for d in drafts} == {("queued", 1)}
    assert OrmQ.objects.count() == 6


def test_with_no_worker_every_draft_fails_after_one_lease_and_the_day_says_why(queued_day):
    handed_out = MachineDraft.objects.first().enqueued_at
    assert drafts_recover_stuck(now=handed_out + LEASE / 2).failed == 0  # still within its lease
    report = drafts_recover_stuck(now=handed_out + LEASE + dt.timedelta(seconds=1))
    assert report.failed == 6
    assert set(MachineDraft.objects.values_list("status", flat=True)) == {"failed"}
    assert "start `manage.py qcluster` with the same SECRET_KEY" in MachineDraft.objects.first().error
    queued_day.refresh_from_db()
    assert queued_day.status == DigestDay.Status.NEEDS_ATTENTION
    assert "6 machine draft(s) failed" in queued_day.attention_reason and "qcluster" in queued_day.attention_reason
    # Running it again changes nothing.
    assert drafts_recover_stuck(now=handed_out + 3 * LEASE).failed == 0


def test_queued_drafts_are_not_failed_while_workers_are_busy(queued_day):
    now = timezone.now() + LEASE + dt.timedelta(seconds=1)
    busy = MachineDraft.objects.first()
    MachineDraft.objects.filter(pk=busy.pk).update(status="running", started_at=now - dt.timedelta(seconds=5), attempts=1)
    report = drafts_recover_stuck(now=now, in_worker=True)
    assert (report.failed, report.handed_again) == (0, 0)  # they wait their turn in the queue
    assert set(MachineDraft.objects.filter(status="queued").values_list("enqueues", flat=True)) == {1}


def test_a_task_lost_with_a_dead_worker_is_handed_out_again_while_a_worker_runs(queued_day):
    """Redis hands a task out once: a cluster killed after taking tasks from the broker takes them with
    it. The watchdog runs in a worker of a live cluster, so what nobody took is handed out again."""
    handed_out = MachineDraft.objects.first().enqueued_at
    now = handed_out + LEASE + dt.timedelta(seconds=1)
    report = drafts_recover_stuck(now=now, in_worker=True)
    assert (report.handed_again, report.lost, report.failed) == (6, 6, 0)
    assert "6 handed to the workers again (6 whose task was lost with a dead worker), 0 failed" in report.summary
    assert {(draft.status, draft.enqueues, draft.enqueued_at) for draft in MachineDraft.objects.all()} == {
        ("queued", 2, now)}
    assert OrmQ.objects.count() == 12  # the first tasks (here still in the queue) and the new ones: one claim wins
    assert drafts_recover_stuck(now=now, in_worker=True).handed_again == 0  # once per lease
    queued_day.refresh_from_db()
    assert queued_day.status == DigestDay.Status.DRAFTING


def test_a_draft_handed_out_again_and_lost_again_is_handed_out_once_more_or_failed_with_no_worker(queued_day):
    draft = MachineDraft.objects.first()
    claimed = timezone.now()
    MachineDraft.objects.filter(pk=draft.pk).update(status="running", started_at=claimed, attempts=1,
                                                    enqueued_at=claimed + dt.timedelta(seconds=1))
    later = claimed + 2 * LEASE + dt.timedelta(seconds=2)  # handed out again a lease ago, claimed by none
    assert drafts_recover_stuck(now=later, in_worker=True).lost == 6
    draft.refresh_from_db()
    assert (draft.status, draft.enqueues, draft.attempts) == ("running", 2, 1)

    even_later = later + LEASE + dt.timedelta(seconds=1)  # and no worker seen anywhere since
    assert drafts_recover_stuck(now=even_later).failed == 6
    draft.refresh_from_db()
    assert draft.status == "failed" and "no worker cluster was seen" in draft.error


def test_a_worker_cluster_in_the_redis_broker_keeps_lost_drafts_from_failing(queued_day, monkeypatch):
    """Run from a command (not in a worker), the watchdog asks the broker: with Redis each cluster keeps
    its status there (django-q2's Stat, signed with SECRET_KEY, kept 3 s), so a live one is seen."""
    import uuid

    from django.core import signing
    from django_q.signing import PickleSerializer, SignedPackage
    from django_q.status import Stat, Status

    from tests.redis_db import redis_broker
    from translations.workers import workers_seen

    now = MachineDraft.objects.first().enqueued_at + LEASE + dt.timedelta(seconds=1)
    with redis_broker(monkeypatch) as broker:
        assert workers_seen().alive is False
        cluster_id = uuid.uuid4()
        broker.client.set(Stat.get_key(cluster_id), SignedPackage.dumps(Status(pid=1, cluster_id=cluster_id)), ex=3)
        seen = workers_seen()
        assert seen.alive is True and "1 worker cluster(s) in the broker" in seen.evidence
        assert drafts_recover_stuck(now=now).lost == 6
        assert broker.client.llen(broker.queue_key) == 6  # handed to Redis, where that cluster reads

        # A cluster with another SECRET_KEY could not read the tasks: it does not count.
        broker.client.set(Stat.get_key(cluster_id), signing.dumps(
            Status(pid=1, cluster_id=cluster_id), key="another-key", salt=Conf.PREFIX, serializer=PickleSerializer),
            ex=3)
        assert workers_seen().alive is False
        assert drafts_recover_stuck(now=now + LEASE + dt.timedelta(seconds=2)).failed == 6


def test_a_cluster_running_the_watchdogs_schedule_lately_keeps_lost_drafts_from_failing(queued_day):
    """Any broker: a cluster's scheduler moves the watchdog's Schedule on; run from a command, the
    watchdog takes a Schedule run within two periods as a live worker."""
    now = MachineDraft.objects.first().enqueued_at + LEASE + dt.timedelta(seconds=1)
    watchdog_schedule_install(now=now - dt.timedelta(minutes=1))
    assert drafts_recover_stuck(now=now).lost == 6
    Schedule.objects.update(next_run=now - dt.timedelta(hours=1))  # no cluster for an hour
    assert drafts_recover_stuck(now=now + LEASE + dt.timedelta(seconds=1)).failed == 6


def test_a_draft_whose_worker_died_is_handed_out_again_then_failed_as_too_slow(queued_day):
    draft = MachineDraft.objects.first()
    started = timezone.now()
    MachineDraft.objects.filter(pk=draft.pk).update(status="running", started_at=started, attempts=1)
    report = drafts_recover_stuck(now=started + LEASE + dt.timedelta(seconds=1))
    draft.refresh_from_db()
    assert report.handed_again >= 1 and draft.status == "running" and draft.enqueues == 2
    # Its last claim also ran out: the LLM is slower than Q_TIMEOUT.
    MachineDraft.objects.filter(pk=draft.pk).update(started_at=started, attempts=MAX_CLAIMS)
    drafts_recover_stuck(now=started + LEASE + dt.timedelta(seconds=2))
    draft.refresh_from_db()
    assert draft.status == "failed" and "took longer than Q_TIMEOUT" in draft.error
    assert "raise Q_TIMEOUT" in draft.error and "DIGEST_FULLTEXT_CHARS" in draft.error


def test_a_draft_a_command_left_queued_without_handing_out_is_handed_out(queued_day):
    draft = MachineDraft.objects.first()
    MachineDraft.objects.filter(pk=draft.pk).update(enqueued_at=None, enqueues=0)
    drafts_recover_stuck(now=timezone.now() + LEASE + dt.timedelta(seconds=1))
    draft.refresh_from_db()
    assert draft.enqueues == 1


def test_the_watchdog_schedule_is_the_workers_heartbeat(db):
    assert workers_status().alive is None
    watchdog, _ = watchdog_schedule_install()
    assert workers_status(now=watchdog.next_run + dt.timedelta(minutes=1)).alive is True
    stalled = workers_status(now=watchdog.next_run + dt.timedelta(minutes=11))
    assert stalled.alive is False and "start `manage.py qcluster`" in stalled.message


def test_a_q_timeout_shorter_than_the_llm_client_may_wait_stops_start_up(tmp_path):
    from tests.test_settings import start_up

    result = start_up(tmp_path, DEBUG="1", Q_TIMEOUT="100", Q_RETRY="200", DIGEST_LLM_TIMEOUT="60",
                      DIGEST_LLM_RETRIES="1")
    assert result.returncode != 0 and "Q_TIMEOUT (100 s) is shorter than" in result.stderr
    assert ImproperlyConfigured.__name__ in result.stderr


def test_the_days_admin_warns_of_a_stopped_cluster_and_stuck_drafts_and_changes_nothing(admin_client, queued_day):
    watchdog, _ = watchdog_schedule_install(now=timezone.now() - dt.timedelta(hours=1))
    MachineDraft.objects.update(enqueued_at=timezone.now() - LEASE - dt.timedelta(seconds=5))
    stuck = MachineDraft.objects.count()
    page = admin_client.get("/admin/publishing/digestday/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no worker cluster has run its schedule since" in page
    assert f"{stuck} machine drafts are past their lease" in page
    # A GET writes nothing: the drafts are the watchdog's to deal with.
    assert set(MachineDraft.objects.values_list("status", flat=True)) == {"queued"}
    assert drafts_recover_stuck().failed == stuck


def test_digest_status_reports_the_workers(queued_day, capsys):
    import json

    from django.core.management import call_command

    call_command("digest_status", "--date", f"{DEMO_DATE}", "--json")
    assert json.loads(capsys.readouterr().out)["workers"]["alive"] is None  # no schedule installed
