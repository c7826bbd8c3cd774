"""Publishing's own schedule: every few minutes it finishes what publishing started and no run finished.

- scheduled publications whose worker died (running past their lease) or whose Schedule's task
  never ran (pending well past their time) are handed to the workers again (scheduling.py);
- days published ahead of their date whose date has come get their post in the Jekyll posts
  folder, DIGEST_JEKYLL_POSTS_DIR (export.py; once: a post holding those bytes is left alone).

Each step is safe to run anywhere, any number of times at once: claims are conditional updates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from publishing.posts.export import jekyll_posts_come_due
from publishing.posts.scheduling import ScheduledRecovery, scheduled_publications_recover

SWEEP_NAME = "arxiv-digest publishing sweep"
SWEEP_FUNC = "publishing.tasks.publishing_sweep_task"


@dataclass(frozen=True)
class PublishingSweep:
    scheduled: ScheduledRecovery
    posts_come_due: int  # Jekyll posts written for days whose date came

    def __str__(self) -> str:
        return f"{self.scheduled}; Jekyll posts come due: {self.posts_come_due} written"


def publishing_sweep(*, now: dt.datetime | None = None) -> PublishingSweep:
    """Finish what publishing left unfinished (the module's docstring lists what)."""
    now = now or timezone.now()
    return PublishingSweep(scheduled=scheduled_publications_recover(now=now), posts_come_due=jekyll_posts_come_due())


def publishing_sweep_schedule_install(now: dt.datetime | None = None) -> tuple[Schedule, bool]:
    """Create or update the sweep's Schedule, every DIGEST_WATCHDOG_MINUTES (idempotent: found by name)."""
    return Schedule.objects.update_or_create(name=SWEEP_NAME, defaults={
        "func": SWEEP_FUNC, "schedule_type": Schedule.MINUTES, "minutes": settings.DIGEST_WATCHDOG_MINUTES,
        "repeats": -1, "next_run": now or timezone.now()})
