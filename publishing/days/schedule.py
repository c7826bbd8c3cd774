"""The daily django-q2 Schedule that runs the morning job at the anchor."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from publishing.days.windows import digest_timezone

SCHEDULE_NAME = "arxiv-digest daily"
SCHEDULE_FUNC = "publishing.tasks.run_daily_task"


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
