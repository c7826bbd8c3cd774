"""What the email edition and webhooks share: how long a claim lasts, when to try again, a failed row's
retry by an editor, and the sweep of days published ahead whose date has now come.

Written once here so both channels wait, retry and catch up the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import models, transaction
from django_q.models import Schedule
from django_q.tasks import async_task

from publishing.models import DigestDay, Publication

# The workers' task names (django-q2 finds functions by these dotted paths).
BATCH_TASK = "delivery.tasks.email_batch_task"
WEBHOOK_TASK = "delivery.tasks.webhook_delivery_task"


def lease() -> dt.timedelta:
    """A claim outlives any task that holds it: django-q2 kills a task after Q_TIMEOUT."""
    return dt.timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)


def retry_at(*, now: dt.datetime, first_retry: dt.timedelta, attempts: int) -> dt.datetime:
    """When to try again after `attempts` failed tries: the wait doubles each time (first_retry, ×2, ×4…)."""
    return now + first_retry * 2 ** max(attempts - 1, 0)


def try_again_at(*, task: str, argument: int, at: dt.datetime, name: str) -> None:
    """Have the workers run `task(argument)` once at `at` (one Schedule per name: asking twice is one run)."""
    Schedule.objects.get_or_create(name=name, defaults={
        "func": task, "args": str(argument), "schedule_type": Schedule.ONCE, "repeats": 1, "next_run": at})


def failed_retry(*, delivery: models.Model, task: str, argument: int, task_name: str) -> bool:
    """An editor's retry of a failed delivery (email or webhook): a fresh set of tries, now.
    False when the row is no longer failed (retried already, by someone else)."""
    model = type(delivery)
    moved = model.TRANSITIONS.move(delivery, model.Status.PENDING, from_state=model.Status.FAILED,
                                   attempts=0, next_try_at=None)
    if moved:
        transaction.on_commit(lambda: async_task(task, argument, task_name=task_name))
    return moved


def publications_come_due(*, done: Callable[[Publication], bool], start: Callable[[Publication], object],
                          look_back_days: int = 7) -> int:
    """Start a channel (`start`) for each day published ahead of its date whose date has now come and
    that the channel has not `done` yet; how many were started. Publishing such a day sent nothing
    (its link would not open yet); this is when it goes out, once."""
    started = 0
    for publication in DigestDay.objects.published_ahead_now_public(look_back_days=look_back_days):
        if not done(publication):
            start(publication)
            started += 1
    return started
