"""A failed morning fetch is tried again on any broker: the morning job plans its own next run (a
django-q2 Schedule run once), a few times, with the retry recorded on the failed fetch; a retry whose
work was done meanwhile does nothing. The Schedules are fired by django-q2's own scheduler here
(tasks run in-process, as in the rest of the suite)."""

import datetime as dt
import logging

import pytest
from django.utils import timezone
from django_q.models import Schedule, Task
from django_q.scheduler import scheduler

from papers.models import FetchRun
from publishing.days.pipeline import FIRST_MORNING_RETRY, MORNING_RETRIES
from publishing.days.schedule import SCHEDULE_FUNC, SCHEDULE_NAME
from publishing.models import DigestDay
from publishing.tasks import run_daily_task
from tests.fake_arxiv import SimulatedArxiv
from tests.local_server import Reply

DATE = dt.date(2026, 1, 9)


def sim_paper(arxiv_id: str, submitted: dt.datetime):
    from tests.fake_arxiv import SimPaper

    return SimPaper(arxiv_id, 1, f"Paper {arxiv_id}", "cs.SD", ["cs.SD"], submitted, submitted, submitted)


@pytest.fixture
def arxiv(db, local_server, settings):
    """arXiv's API on 127.0.0.1, down (503) until `arxiv.up` is set."""
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    settings.ARXIV_HTTP_RETRIES = 0
    simulated = SimulatedArxiv()
    simulated.papers.append(sim_paper("2601.00002", dt.datetime(2026, 1, 7, 16, tzinfo=dt.UTC)))
    simulated.now = dt.datetime(2026, 1, 9, 1, 0, tzinfo=dt.UTC)
    simulated.up = False
    local_server.handler = lambda request: simulated(request) if simulated.up else Reply(
        status=503, body=b"busy", headers={"Content-Type": "text/plain"})
    return simulated


def retries() -> list[Schedule]:
    return list(Schedule.objects.filter(name__startswith=f"{SCHEDULE_NAME} {DATE}").order_by("next_run"))


def fire_due_retries() -> None:
    """Time passes to the planned retry, and the cluster's scheduler runs it."""
    Schedule.objects.filter(name__startswith=f"{SCHEDULE_NAME} {DATE}").exclude(repeats=0).update(
        next_run=timezone.now() - dt.timedelta(seconds=1))
    scheduler()


def test_a_failed_morning_fetch_is_tried_again_later_and_recorded(arxiv):
    result = run_daily_task(f"{DATE}")
    assert "fetch failed (try 1 of 4)" in result and "HTTP 503" in result and "try 2 at" in result
    (retry,) = retries()
    assert (retry.func, retry.args, retry.schedule_type) == (SCHEDULE_FUNC, "('2026-01-09', 2)", Schedule.ONCE)
    assert retry.next_run - timezone.now() == pytest.approx(FIRST_MORNING_RETRY, abs=dt.timedelta(seconds=30))
    failed = FetchRun.objects.get()
    assert failed.status == FetchRun.Status.FAILED and failed.next_try_at == retry.next_run

    fire_due_retries()  # still down: the wait doubles
    assert [schedule.name.rsplit(" ", 1)[-1] for schedule in retries()] == ["2", "3"]
    assert retries()[-1].next_run - timezone.now() == pytest.approx(2 * FIRST_MORNING_RETRY,
                                                                   abs=dt.timedelta(seconds=30))

    arxiv.up = True
    fire_due_retries()
    assert FetchRun.objects.order_by("-started_at", "-id").first().status == FetchRun.Status.SUCCEEDED
    assert DigestDay.objects.get(date=DATE).entries.count() == 1
    assert len(retries()) == 2 and not Schedule.objects.exclude(repeats=0).filter(
        name__startswith=f"{SCHEDULE_NAME} {DATE}").exists(), "no further try planned"
    assert [run.next_try_at is not None for run in FetchRun.objects.order_by("started_at", "id")] == [True, True, False]


def test_the_tries_are_bounded_and_the_last_failure_is_logged_as_an_error(arxiv, caplog):
    run_daily_task(f"{DATE}")
    with caplog.at_level(logging.ERROR, logger="publishing.days.pipeline"):
        for _ in range(MORNING_RETRIES + 2):
            fire_due_retries()
    assert FetchRun.objects.filter(status=FetchRun.Status.FAILED).count() == MORNING_RETRIES + 1
    assert len(retries()) == MORNING_RETRIES
    last = FetchRun.objects.order_by("-started_at", "-id").first()
    assert last.next_try_at is None
    assert f"failed {MORNING_RETRIES + 1} times" in caplog.text and "run_daily --date 2026-01-09" in caplog.text


def last_result() -> str:
    return Task.objects.filter(func=SCHEDULE_FUNC).order_by("-stopped").first().result


def test_a_retry_is_not_needed_once_the_day_was_collected_by_hand(arxiv):
    run_daily_task(f"{DATE}")
    arxiv.up = True
    run_daily_task(f"{DATE}")  # someone ran it by hand meanwhile (or the ORM broker ran the task again)
    runs = FetchRun.objects.count()
    fire_due_retries()
    assert FetchRun.objects.count() == runs
    assert "try 2 not needed: fetch #" in last_result() and "collected it since" in last_result()


def test_a_retry_is_not_needed_once_a_later_day_was_collected(arxiv):
    """The next morning's run took the papers (its look-back covers a missed day): the retry must not
    open the missed day afterwards."""
    run_daily_task(f"{DATE}")
    arxiv.up = True
    run_daily_task(f"{DATE + dt.timedelta(days=1)}")
    runs = FetchRun.objects.count()
    fire_due_retries()
    assert FetchRun.objects.count() == runs and not DigestDay.objects.filter(date=DATE).exists()
    assert "collected a later day (2026-01-10)" in last_result()


def test_a_published_day_is_nothing_to_do_and_not_tried_again(db):
    DigestDay.objects.create(date=DATE, window_start=timezone.now(), window_end=timezone.now(),
                             status=DigestDay.Status.PUBLISHED)
    assert "nothing to do" in run_daily_task(f"{DATE}")
    assert retries() == []
