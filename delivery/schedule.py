"""Delivery's own schedule: every few minutes it sends what has come due, without the morning job.

- days published ahead of their date whose date has come are mailed and announced (once);
- deliveries that are due and that no task is carrying (a task lost with its worker: Redis hands a
  task out once, a retry whose Schedule was missed) are handed to the workers again, and so are rows
  still `sending` whose claim's lease has run out (their sender died mid-send). Claims are conditional
  updates, so a row handed over twice is still sent once.

While delivery is held on this instance (delivery.switch) the editions and announcements are still
prepared, but nothing is handed over: the rows wait, pending, for `enable_delivery`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from delivery.edition import email_editions_come_due
from delivery.models import EmailDelivery, WebhookDelivery
from delivery.retries import BATCH_TASK, WEBHOOK_TASK
from delivery.sending import claimable
from delivery.switch import delivery_hold
from delivery.webhooks import due as webhooks_due
from delivery.webhooks import webhooks_come_due

SWEEP_NAME = "arxiv-digest delivery sweep"
SWEEP_FUNC = "delivery.tasks.deliveries_sweep_task"


@dataclass(frozen=True)
class Sweep:
    editions_come_due: int
    announcements_come_due: int
    email_batches_queued: int
    webhooks_queued: int
    held: str = ""  # why nothing was queued: delivery is held on this instance (delivery.switch)

    def __str__(self) -> str:
        come_due = f"come due: {self.editions_come_due} editions, {self.announcements_come_due} announcements"
        if self.held:
            return f"{come_due}; nothing queued: {self.held}"
        return (f"{come_due}; "
                f"queued again: {self.email_batches_queued} email batches, {self.webhooks_queued} webhook deliveries")


def deliveries_sweep(*, now: dt.datetime | None = None) -> Sweep:
    """Send what has come due (the module's docstring lists what)."""
    now = now or timezone.now()
    editions, announcements = email_editions_come_due(), webhooks_come_due()
    hold = delivery_hold()
    if hold.held:  # their tasks would send nothing: the due rows wait, pending, until delivery is enabled here
        return Sweep(editions, announcements, 0, 0, held=str(hold))
    publications = list(EmailDelivery.objects.filter(claimable(now)).order_by("publication_id")
                        .values_list("publication_id", flat=True).distinct())
    for publication_id in publications:
        async_task(BATCH_TASK, publication_id, task_name=f"email-{publication_id}")
    webhook_ids = list(WebhookDelivery.objects.filter(webhooks_due(now)).values_list("pk", flat=True))
    for delivery_id in webhook_ids:
        async_task(WEBHOOK_TASK, delivery_id, task_name=f"webhook-{delivery_id}")
    return Sweep(editions, announcements, len(publications), len(webhook_ids))


def delivery_schedule_install(now: dt.datetime | None = None) -> tuple[Schedule, bool]:
    """Create or update the sweep's Schedule, every DIGEST_WATCHDOG_MINUTES (idempotent: found by name)."""
    return Schedule.objects.update_or_create(name=SWEEP_NAME, defaults={
        "func": SWEEP_FUNC, "schedule_type": Schedule.MINUTES, "minutes": settings.DIGEST_WATCHDOG_MINUTES,
        "repeats": -1, "next_run": now or timezone.now()})
