"""The health evaluation's own Schedule: every DIGEST_WATCHDOG_MINUTES, open and resolve incidents and tell the team.

It runs on the workers, so it cannot report that no worker runs: `check_health --alert` from cron (or a
systemd timer) covers that (docs/operations.md); both evaluating at once still alert once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

HEALTH_NAME = "arxiv-digest health"
HEALTH_FUNC = "monitoring.tasks.health_evaluate_task"


def health_schedule_install(now: dt.datetime | None = None) -> tuple[Schedule, bool]:
    """Create or update the evaluation's Schedule (idempotent: found by name)."""
    return Schedule.objects.update_or_create(name=HEALTH_NAME, defaults={
        "func": HEALTH_FUNC, "schedule_type": Schedule.MINUTES, "minutes": settings.DIGEST_WATCHDOG_MINUTES,
        "repeats": -1, "next_run": now or timezone.now()})
