"""Each part of the system made to fail, and mended again, for the health and alert tests.

Rows are written directly (as a dead worker or a failed fetch would leave them); `now` is the moment
the test's report is made at.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django_q.models import Schedule

from delivery.models import EmailDelivery, Subscriber, WebhookDelivery, WebhookEndpoint
from monitoring.checks import morning_date
from papers.models import FetchRun
from publishing.days.schedule import WATCHDOG_NAME, watchdog_schedule_install
from publishing.days.services import COLLECT_STEP, DRAFT_STEP, day_clear_attention, day_flag_attention, day_open
from publishing.days.windows import digest_window
from publishing.models import DigestDay, Publication, ScheduledPublication


def fetch_run(date: dt.date, status: str, *, at: dt.datetime, **fields) -> FetchRun:
    window = digest_window(date)
    return FetchRun.objects.create(
        digest_date=date, window_start=window.start, window_end=window.end, query_start=window.start,
        source=FetchRun.Source.API, status=status, started_at=at - dt.timedelta(minutes=2),
        finished_at=None if status == FetchRun.Status.RUNNING else at, **fields)


def morning_well(now: dt.datetime) -> FetchRun:
    return fetch_run(morning_date(now), FetchRun.Status.SUCCEEDED, at=now - dt.timedelta(minutes=5), fetched=3, kept=3)


def workers_dead(now: dt.datetime) -> None:
    watchdog_schedule_install(now)
    Schedule.objects.filter(name=WATCHDOG_NAME).update(next_run=now - dt.timedelta(hours=1))


def workers_alive(now: dt.datetime) -> None:
    Schedule.objects.filter(name=WATCHDOG_NAME).update(next_run=now + dt.timedelta(minutes=1))


def morning_failed(now: dt.datetime) -> FetchRun:
    return fetch_run(morning_date(now), FetchRun.Status.FAILED, at=now - dt.timedelta(minutes=1),
                     error="HTTPError: 503 from export.arxiv.org")


def morning_mended(now: dt.datetime) -> FetchRun:
    return fetch_run(morning_date(now), FetchRun.Status.SUCCEEDED, at=now - dt.timedelta(seconds=30), fetched=3, kept=3)


def morning_stale(now: dt.datetime) -> DigestDay:
    """arXiv announced, but the fetch kept nothing: the stale-feed warning flags the day (collect step)."""
    warning = "the feed shows nothing announced since 2026-01-07 20:00 EST, but arXiv announced at 2026-01-08 20:00 EST"
    fetch_run(morning_date(now), FetchRun.Status.SUCCEEDED, at=now - dt.timedelta(minutes=1), warning=warning)
    day = day_open(window=digest_window(morning_date(now)))
    return day_flag_attention(day=day, step=COLLECT_STEP, reason=warning)


def morning_stale_mended(now: dt.datetime) -> DigestDay:
    fetch_run(morning_date(now), FetchRun.Status.SUCCEEDED, at=now - dt.timedelta(seconds=30), fetched=2, kept=2)
    return day_clear_attention(day=DigestDay.objects.get(date=morning_date(now)), step=COLLECT_STEP)


def drafts_failed(now: dt.datetime) -> DigestDay:
    day = day_open(window=digest_window(morning_date(now)))
    return day_flag_attention(day=day, step=DRAFT_STEP, reason="1 machine draft(s) failed (2601.05011): timeout")


def drafts_mended(now: dt.datetime) -> DigestDay:
    return day_clear_attention(day=DigestDay.objects.get(date=morning_date(now)), step=DRAFT_STEP)


def _chief() -> User:
    return User.objects.get_or_create(username="scheduler")[0]


def publication_overdue(now: dt.datetime) -> ScheduledPublication:
    day = day_open(window=digest_window(morning_date(now)))
    return ScheduledPublication.objects.create(day=day, publish_at=now - dt.timedelta(minutes=20),
                                               scheduled_by=_chief())


def publication_failed(now: dt.datetime) -> ScheduledPublication:
    day = day_open(window=digest_window(morning_date(now)))
    return ScheduledPublication.objects.create(day=day, publish_at=now - dt.timedelta(minutes=20),
                                               scheduled_by=_chief(), status=ScheduledPublication.Status.FAILED,
                                               outcome="nothing approved to publish")


def publications_mended(now: dt.datetime) -> None:
    """The chief editor cancels the order (or a worker runs it): nothing is overdue any more."""
    ScheduledPublication.objects.all().delete()


def _publication() -> Publication:
    return Publication.objects.order_by("-published_at").first()


def email_stuck(now: dt.datetime) -> None:
    subscriber = Subscriber.objects.create(email="reader@example.org", status=Subscriber.Status.CONFIRMED,
                                           unsubscribe_token="t" * 40)
    EmailDelivery.objects.create(subscriber=subscriber, publication=_publication(),
                                 status=EmailDelivery.Status.SENDING, claimed_by="dead",
                                 claimed_until=now - dt.timedelta(hours=1), created_at=now - dt.timedelta(hours=2))


def email_mended(now: dt.datetime) -> None:
    EmailDelivery.objects.all().delete()


def webhook_stuck(now: dt.datetime) -> None:
    endpoint = WebhookEndpoint.objects.create(name="readers' chat", url="http://127.0.0.1:1/hook")
    WebhookDelivery.objects.create(endpoint=endpoint, publication=_publication(),
                                   created_at=now - dt.timedelta(hours=1))


def webhook_mended(now: dt.datetime) -> None:
    WebhookDelivery.objects.all().delete()
