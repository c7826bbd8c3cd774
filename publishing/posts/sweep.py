"""Publishing's own schedule: every few minutes it finishes what publishing started and no run finished.

- scheduled publications whose worker died (running past their lease) or whose Schedule's task
  never ran (pending well past their time) are handed to the workers again (scheduling.py);
- days published ahead of their date whose date has come get their post in the Jekyll posts
  folder, DIGEST_JEKYLL_POSTS_DIR (export.py; once: a post holding those bytes is left alone);
- then the apps above publishing do their periodic work on `publishing_swept` (the newsroom
  finds the events its people are told of and sends what is due).

Each step is safe to run anywhere, any number of times at once: claims are conditional updates.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from publishing.posts.export import jekyll_posts_come_due
from publishing.posts.scheduling import ScheduledRecovery, scheduled_publications_recover
from publishing.signals import publishing_swept

logger = logging.getLogger(__name__)

SWEEP_NAME = "arxiv-digest publishing sweep"
SWEEP_FUNC = "publishing.tasks.publishing_sweep_task"


@dataclass(frozen=True)
class PublishingSweep:
    scheduled: ScheduledRecovery
    posts_come_due: int  # Jekyll posts written for days whose date came
    others: tuple[str, ...] = ()  # what the apps listening to `publishing_swept` did, a line each

    def __str__(self) -> str:
        return "; ".join([f"{self.scheduled}", f"Jekyll posts come due: {self.posts_come_due} written",
                          *self.others])


def publishing_sweep(*, now: dt.datetime | None = None) -> PublishingSweep:
    """Finish what publishing left unfinished (the module's docstring lists what), then let the apps
    above it do their periodic work (`publishing_swept`: the newsroom's notifications)."""
    now = now or timezone.now()
    scheduled = scheduled_publications_recover(now=now)
    posts = jekyll_posts_come_due()
    others = []
    for receiver, answer in publishing_swept.send_robust(sender=PublishingSweep, now=now):
        if isinstance(answer, Exception):  # one app's failure stops neither publishing's sweep nor the others
            logger.error("publishing sweep: %s failed: %s: %s", receiver.__module__, answer.__class__.__name__, answer)
            others.append(f"{receiver.__module__}: failed ({answer.__class__.__name__})")
        elif answer:
            others.append(str(answer))
    return PublishingSweep(scheduled=scheduled, posts_come_due=posts, others=tuple(others))


def publishing_sweep_schedule_install(now: dt.datetime | None = None) -> tuple[Schedule, bool]:
    """Create or update the sweep's Schedule, every DIGEST_WATCHDOG_MINUTES (idempotent: found by name)."""
    return Schedule.objects.update_or_create(name=SWEEP_NAME, defaults={
        "func": SWEEP_FUNC, "schedule_type": Schedule.MINUTES, "minutes": settings.DIGEST_WATCHDOG_MINUTES,
        "repeats": -1, "next_run": now or timezone.now()})
