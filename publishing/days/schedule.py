"""The django-q2 Schedules: the morning job at each anchor the digests have (one per anchor and time
zone, collecting the digests that end then with one fetch; once more for each retry of a failed
fetch), and the drafts' watchdog every few minutes.

The watchdog's schedule doubles as the workers' heartbeat: the cluster's scheduler moves its
`next_run` on each time it fires, so a `next_run` long past means no cluster is running.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from digests.models import Digest
from publishing.days.windows import digest_timezone
from translations.workers import WATCHDOG_TASK

SCHEDULE_NAME = "arxiv-digest daily"
SCHEDULE_FUNC = "publishing.tasks.run_daily_task"
WATCHDOG_NAME = "arxiv-digest drafts watchdog"
WATCHDOG_FUNC = WATCHDOG_TASK


@dataclass(frozen=True)
class MorningGroup:
    """The digests whose days end at one anchor in one time zone: one morning job, one fetch, collects them.

    The first digest's group runs under the Schedule named SCHEDULE_NAME with no arguments (as before
    digests); another group's Schedule names its anchor and zone, and passes them to the task, which
    finds the group's digests when it runs (a digest added later at the same anchor joins it)."""

    anchor: dt.time
    time_zone: str
    is_home: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def label(self) -> str:
        return f"{self.anchor:%H:%M} {self.time_zone}"

    @property
    def schedule_name(self) -> str:
        return SCHEDULE_NAME if self.is_home else f"{SCHEDULE_NAME} at {self.label}"

    @property
    def task_args(self) -> tuple:
        """What the group's runs pass to the task after (date, attempt): nothing for the first digest's group."""
        return () if self.is_home else (f"{self.anchor:%H:%M}", self.time_zone)

    def digests(self) -> list[Digest]:
        return list(Digest.objects.filter(anchor=self.anchor, time_zone=self.time_zone))


def morning_groups() -> list[MorningGroup]:
    """Every distinct anchor and time zone of the digests, the first digest's group first."""
    home = Digest.objects.home()
    groups = [MorningGroup(home.anchor, home.time_zone, is_home=True)]
    for anchor, time_zone in Digest.objects.order_by("anchor", "time_zone").values_list("anchor", "time_zone").distinct():
        if (anchor, time_zone) != (home.anchor, home.time_zone):
            groups.append(MorningGroup(anchor, time_zone))
    return groups


def morning_group(anchor: str | None = None, time_zone: str | None = None) -> MorningGroup:
    """The group a task's arguments name (none: the first digest's)."""
    home = Digest.objects.home()
    if anchor is None or (dt.time.fromisoformat(anchor), time_zone) == (home.anchor, home.time_zone):
        return MorningGroup(home.anchor, home.time_zone, is_home=True)
    return MorningGroup(dt.time.fromisoformat(anchor), time_zone)


def next_anchor(now: dt.datetime | None = None, group: MorningGroup | None = None) -> dt.datetime:
    """The group's next anchor (the settings' anchor and zone if no group is named) after `now`."""
    anchor, tz = (group.anchor, group.tz) if group else (settings.DIGEST_ANCHOR, digest_timezone())
    now = (now or timezone.now()).astimezone(tz)
    today = dt.datetime.combine(now.date(), anchor, tzinfo=tz)
    return today if today > now else dt.datetime.combine(now.date() + dt.timedelta(days=1), anchor, tzinfo=tz)


def morning_schedules_install(now: dt.datetime | None = None) -> tuple[list[tuple[Schedule, bool]], list[str]]:
    """Create or update one daily Schedule per morning group (idempotent: found by name), and delete the
    daily Schedules of groups no digest is in any more; (each group's (schedule, created), names deleted)."""
    groups = morning_groups()
    installed = [Schedule.objects.update_or_create(
        name=group.schedule_name,
        defaults={
            "func": SCHEDULE_FUNC,
            "args": repr((None, 1, *group.task_args)) if group.task_args else None,
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
            "next_run": next_anchor(now, group),
        },
    ) for group in groups]
    stale = Schedule.objects.filter(func=SCHEDULE_FUNC, schedule_type=Schedule.DAILY).exclude(
        name__in=[group.schedule_name for group in groups])
    removed = list(stale.values_list("name", flat=True))
    stale.delete()
    return installed, removed


def morning_schedule_realign(group: MorningGroup, now: dt.datetime | None = None) -> None:
    """Put the group's daily Schedule back on its anchor: django-q2 repeats a daily run 24 hours on, which a
    time zone's change to or from summer time moves by an hour."""
    Schedule.objects.filter(name=group.schedule_name, schedule_type=Schedule.DAILY).update(
        next_run=next_anchor((now or timezone.now()) + dt.timedelta(minutes=1), group))


def daily_retry_schedule(*, date: dt.date, attempt: int, at: dt.datetime,
                         group: MorningGroup | None = None) -> tuple[Schedule, bool]:
    """Have the workers run the morning job of the group (the first digest's if none) for `date` once more
    at `at`, as its try number `attempt`. Found by name, so asking twice (a task run twice) plans one run;
    the row stays as the record."""
    extra = group.task_args if group else ()
    return Schedule.objects.get_or_create(
        name=f"{SCHEDULE_NAME} {date:%Y-%m-%d} try {attempt}" + (f" at {group.label}" if extra else ""),
        defaults={"func": SCHEDULE_FUNC, "args": repr((f"{date:%Y-%m-%d}", attempt, *extra)),
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
