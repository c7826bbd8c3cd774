"""Publishing a day at a chosen time: a ScheduledPublication row, run once by a django-q2 Schedule.

The run takes the entries approved at that moment (not when it was scheduled), as the chief
editor who scheduled it; a run claims its row with a conditional update, so a schedule that
fires twice (two clusters, a retry) publishes once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from publishing.audit import audit_log
from publishing.models import DigestDay, ScheduledPublication
from publishing.posts.publication import day_publish, require_publisher

SCHEDULED_PUBLICATION_FUNC = "publishing.tasks.scheduled_publication_task"


class SchedulingError(Exception):
    pass


@transaction.atomic
def day_schedule_publication(*, day: DigestDay, user, publish_at: dt.datetime, approved_only: bool = False
                             ) -> ScheduledPublication:
    """Order the day published at `publish_at` by `user` (a chief editor); refused in the past."""
    require_publisher(user)
    if publish_at <= timezone.now():
        raise SchedulingError(f"{timezone.localtime(publish_at):%Y-%m-%d %H:%M} has passed; choose a later time")
    scheduled = ScheduledPublication.objects.create(day=day, publish_at=publish_at, approved_only=approved_only,
                                                    scheduled_by=user)
    scheduled.schedule_name = f"publish {day.date} #{scheduled.pk}"
    scheduled.save(update_fields=["schedule_name"])
    Schedule.objects.create(name=scheduled.schedule_name, func=SCHEDULED_PUBLICATION_FUNC, args=str(scheduled.pk),
                            schedule_type=Schedule.ONCE, repeats=1, next_run=publish_at)
    audit_log(user=user, obj=day, message=f"Scheduled publication at {timezone.localtime(publish_at):%Y-%m-%d %H:%M}")
    return scheduled


@transaction.atomic
def scheduled_publication_cancel(*, scheduled: ScheduledPublication, user) -> ScheduledPublication:
    require_publisher(user)
    if not ScheduledPublication.TRANSITIONS.move(scheduled, ScheduledPublication.Status.CANCELLED,
                                                 from_state=ScheduledPublication.Status.PENDING,
                                                 outcome=f"cancelled by {user.get_username()}"):
        raise SchedulingError("this publication is no longer pending")
    Schedule.objects.filter(name=scheduled.schedule_name).delete()
    audit_log(user=user, obj=scheduled.day, message="Cancelled the scheduled publication")
    scheduled.refresh_from_db()
    return scheduled


def scheduled_publication_run(*, scheduled_id: int) -> ScheduledPublication | None:
    """Publish as scheduled, once; None when another run has it or it was cancelled."""
    scheduled = ScheduledPublication.objects.select_related("day", "scheduled_by").filter(pk=scheduled_id).first()
    if scheduled is None or not ScheduledPublication.TRANSITIONS.move(
            scheduled, ScheduledPublication.Status.RUNNING, from_state=ScheduledPublication.Status.PENDING):
        return None
    try:
        result = day_publish(day=scheduled.day, user=scheduled.scheduled_by, approved_only=scheduled.approved_only)
    except Exception as exc:  # a PublishError or anything else: recorded for the chief editor
        outcome, why = ScheduledPublication.Status.FAILED, str(exc)
    else:
        outcome = ScheduledPublication.Status.DONE
        why = f"version {result.publication.version}" + ("" if result.created else " (unchanged)")
    ScheduledPublication.TRANSITIONS.move(scheduled, outcome, outcome=why)
    return scheduled
