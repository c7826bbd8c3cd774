"""The django-q2 Schedules: the morning job at the anchor (and once more for each retry of a failed
fetch), and the drafts' watchdog every few minutes.

The watchdog's schedule doubles as the workers' heartbeat: the cluster's scheduler moves its
`next_run` on each time it fires, so a `next_run` long past means no cluster is running.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from publishing.days.windows import digest_timezone
from translations.workers import WATCHDOG_TASK

SCHEDULE_NAME = "arxiv-digest daily"
SCHEDULE_FUNC = "publishing.tasks.run_daily_task"
WATCHDOG_NAME = "arxiv-digest drafts watchdog"
WATCHDOG_FUNC = WATCHDOG_TASK


def next_anchor(now: dt.datetime | None = None) -> dt.datetime:
    now = (now or timezone.now()).astimezone(digest_timezone())
    today = dt.datetime.combine(now.date(), settings.DIGEST_ANCHOR, tzinfo=digest_timezone())
    return today if today > now else dt.datetime.combine(now.date() + dt.timedelta(days=1), settings.DIGEST_ANCHOR, tzinfo=digest_timezone())


def schedule_install(now: dt.datetime | None = None) -> tuple[Schedule, bool]:
    """Create or update the one daily Schedule (idempotent: it is found by name)."""
    return Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": SCHEDULE_FUNC,
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
            "next_run": next_anchor(now),
        },
    )


def daily_retry_schedule(*, date: dt.date, attempt: int, at: dt.datetime) -> tuple[Schedule, bool]:
    """Have the workers run the morning job for `date` once more at `at`, as its try number `attempt`.
    Found by name, so asking twice (a task run twice) plans one run; the row stays as the record."""
    return Schedule.objects.get_or_create(
        name=f"{SCHEDULE_NAME} {date:%Y-%m-%d} try {attempt}",
        defaults={"func": SCHEDULE_FUNC, "args": repr((f"{date:%Y-%m-%d}", attempt)),
                  "schedule_type": Schedule.ONCE, "repeats": 1, "next_run": at},
    )


def watchdog_schedule_install(now: dt.datetime | None = None) -> tuple[Schedule, bool]:
    """Create or update the watchdog's Schedule, every DIGEST_WATCHDOG_MINUTES (idempotent)."""
    return Schedule.objects.update_or_create(
        name=WATCHDOG_NAME,
        defaults={
            "func": WATCHDOG_FUNC,
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.DIGEST_WATCHDOG_MINUTES,
            "repeats": -1,
            "next_run": now or timezone.now(),
        },
    )


@dataclass(frozen=True)
class WorkersStatus:
    alive: bool | None  # None: cannot tell (the schedules are not installed)
    message: str
    # When the cluster's scheduler last fired the watchdog (its next run, one period back); None: never known.
    last_beat: dt.datetime | None = None

    def beat_age(self, now: dt.datetime) -> float | None:
        """Seconds since the last heartbeat (0 while the schedule's next run is still one period ahead)."""
        return None if self.last_beat is None else max((now - self.last_beat).total_seconds(), 0.0)


def workers_status(now: dt.datetime | None = None) -> WorkersStatus:
    """Whether a worker cluster is running, judged by the watchdog schedule's heartbeat."""
    now = now or timezone.now()
    watchdog = Schedule.objects.filter(name=WATCHDOG_NAME).only("next_run", "minutes").first()
    if watchdog is None or watchdog.next_run is None:
        return WorkersStatus(None, "the schedules are not installed: run `manage.py install_schedule`")
    # The scheduler looks every 30 s or so; two periods late is no cluster.
    overdue = now - watchdog.next_run
    last_beat = watchdog.next_run - dt.timedelta(minutes=watchdog.minutes or 1)
    if overdue > dt.timedelta(minutes=2 * (watchdog.minutes or 1)):
        since = timezone.localtime(watchdog.next_run).strftime("%Y-%m-%d %H:%M")
        return WorkersStatus(False, f"no worker cluster has run its schedule since {since}: start `manage.py qcluster`",
                             last_beat)
    return WorkersStatus(True, "a worker cluster is running its schedule", last_beat)
