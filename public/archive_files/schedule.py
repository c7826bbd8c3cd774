"""The archive files' sweep Schedule: every DIGEST_WATCHDOG_MINUTES, days whose date came and days whose
last sync failed (services.archive_files_sweep)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

SWEEP_NAME = "arxiv-digest archive files"
SWEEP_FUNC = "public.tasks.archive_files_sweep_task"


def archive_files_schedule_install(now: dt.datetime | None = None) -> tuple[Schedule, bool]:
    """Create or update the sweep's Schedule (idempotent: found by name)."""
    return Schedule.objects.update_or_create(name=SWEEP_NAME, defaults={
        "func": SWEEP_FUNC, "schedule_type": Schedule.MINUTES, "minutes": settings.DIGEST_WATCHDOG_MINUTES,
        "repeats": -1, "next_run": now or timezone.now()})
