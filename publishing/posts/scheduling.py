"""Publishing a day at a chosen time: a ScheduledPublication row, run once by a django-q2 Schedule.

The run takes the entries approved at that moment (not when it was scheduled), as the chief
editor who scheduled it; a run claims its row with a conditional update, so a schedule that
fires twice (two clusters, a retry) publishes once.

The claim is a lease (`claimed_until`, one Q_TIMEOUT: django-q2 kills a task after that): a
worker that dies mid-run leaves the row running, and once the lease has run out django-q2's
retry of the task, or the publishing sweep (`scheduled_publications_recover`), claims it again.
Publishing is idempotent (the same text reuses its version), so a run that died after
publishing only records the outcome. After MAX_CLAIMS claims the order fails with the reason,
and a failed or overdue order shows on the day's publish page and the admin's front page.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django_q.models import Schedule
from django_q.tasks import async_task

from publishing.audit import audit_log
from publishing.models import DigestDay, ScheduledPublication
from publishing.posts.publication import day_publish, require_publisher
from translations.workers import workers_seen

logger = logging.getLogger(__name__)

SCHEDULED_PUBLICATION_FUNC = "publishing.tasks.scheduled_publication_task"
# A run that died this many times is not tried again: publishing this day kills its worker.
MAX_CLAIMS = 3


class SchedulingError(Exception):
    """Refused, in the editor's language (only the admin schedules)."""


@transaction.atomic
def day_schedule_publication(*, day: DigestDay, user, publish_at: dt.datetime, approved_only: bool = False,
                             correction_note: str = "") -> ScheduledPublication:
    """Order the day published at `publish_at` by `user` (a chief editor), with the choices a publish
    now takes (approved entries only, the correction note for readers); refused in the past."""
    require_publisher(user, day)
    if publish_at <= timezone.now():
        raise SchedulingError(gettext("%(time)s has passed; choose a later time.")
                              % {"time": f"{timezone.localtime(publish_at):%Y-%m-%d %H:%M}"})
    scheduled = ScheduledPublication.objects.create(day=day, publish_at=publish_at, approved_only=approved_only,
                                                    correction_note=correction_note.strip(), scheduled_by=user)
    scheduled.schedule_name = f"publish {day.date} #{scheduled.pk}"
    scheduled.save(update_fields=["schedule_name"])
    Schedule.objects.create(name=scheduled.schedule_name, func=SCHEDULED_PUBLICATION_FUNC, args=str(scheduled.pk),
                            schedule_type=Schedule.ONCE, repeats=1, next_run=publish_at)
    audit_log(user=user, obj=day, message=f"Scheduled publication at {timezone.localtime(publish_at):%Y-%m-%d %H:%M}")
    return scheduled


@transaction.atomic
def scheduled_publication_cancel(*, scheduled: ScheduledPublication, user) -> ScheduledPublication:
    require_publisher(user, scheduled.day)
    if not ScheduledPublication.TRANSITIONS.move(scheduled, ScheduledPublication.Status.CANCELLED,
                                                 from_state=ScheduledPublication.Status.PENDING,
                                                 outcome=f"cancelled by {user.get_username()}"):
        raise SchedulingError(gettext("This publication is no longer pending."))
    Schedule.objects.filter(name=scheduled.schedule_name).delete()
    audit_log(user=user, obj=scheduled.day, message="Cancelled the scheduled publication")
    scheduled.refresh_from_db()
    return scheduled


def _lease() -> dt.timedelta:
    # django-q2 kills a task after Q_TIMEOUT: a run holding the row longer than that has died.
    return dt.timedelta(seconds=settings.Q_CLUSTER["timeout"])


# A cluster's scheduler looks at the Schedules every 30 seconds: an order still pending a minute
# after its time was not taken (no cluster runs, or its task waits or was lost). The chief editor
# is told then, not a lease later (the demo's order at +1.5 min showed nothing when it waited for
# Q_TIMEOUT, 10 minutes).
OVERDUE_AFTER = dt.timedelta(minutes=1)


def _hand_out_again_after() -> dt.timedelta:
    # An order still pending a lease after its time was run by none: its task is handed out again
    # (sooner could hand it out while a busy queue still holds its first task; harmless, but noisy).
    return _lease()


def scheduled_publications_needing_attention(*, now: dt.datetime | None = None):
    """The orders a chief editor must know of (ScheduledPublicationQuerySet.needing_attention); read only."""
    return ScheduledPublication.objects.needing_attention(now=now or timezone.now(), overdue_after=OVERDUE_AFTER)


def no_workers_warning() -> str:
    """A line for the chief editor when no worker cluster runs (nothing scheduled happens then); "" when one does."""
    if workers_seen().alive:
        return ""
    return gettext("No worker cluster is running: a scheduled publication does not happen until one is started "
                   "with `manage.py qcluster`.")


def scheduled_publication_problem(scheduled: ScheduledPublication, *, workers_running: bool | None = None) -> str:
    """What is wrong with an order that needs attention, in one line, for the chief editor.
    `workers_running`: whether a worker cluster is alive, when the caller asked already (else asked here)."""
    values = {"time": f"{timezone.localtime(scheduled.publish_at):%Y-%m-%d %H:%M}", "reason": scheduled.outcome,
              "attempt": scheduled.attempts, "attempts": MAX_CLAIMS,
              "retry": f"{timezone.localtime(scheduled.publish_at + _hand_out_again_after()):%H:%M}"}
    if scheduled.status == ScheduledPublication.Status.FAILED:
        return gettext("The publication scheduled for %(time)s failed: %(reason)s") % values
    if scheduled.status == ScheduledPublication.Status.RUNNING:
        return gettext("The publication scheduled for %(time)s stopped with its worker (attempt %(attempt)s of "
                       "%(attempts)s); the publishing sweep tries it again.") % values
    if workers_running is None:
        workers_running = workers_seen().alive
    if workers_running:
        return gettext("The publication scheduled for %(time)s is overdue: a worker cluster is running but has not "
                       "run it yet (a long queue, or its task was lost); the publishing sweep hands it out again at "
                       "%(retry)s.") % values
    return gettext("The publication scheduled for %(time)s is overdue and has not run: no worker cluster is "
                   "running to run its schedule. Start `manage.py qcluster`: it then publishes at once.") % values


def scheduled_publication_claim(*, scheduled_id: int, now: dt.datetime | None = None) -> ScheduledPublication | None:
    """Take the order for this run: pending, or running with its lease run out (its worker died).
    One claimer wins. None when it is not to be run by this call (finished, cancelled, held)."""
    now = now or timezone.now()
    Status = ScheduledPublication.Status
    claimable = Q(status=Status.PENDING) | Q(status=Status.RUNNING, claimed_until__lt=now)
    claimed = ScheduledPublication.TRANSITIONS.move_rows(
        ScheduledPublication.objects.filter(claimable, pk=scheduled_id), Status.RUNNING,
        from_states=[Status.PENDING, Status.RUNNING], claimed_until=now + _lease(), attempts=F("attempts") + 1)
    if claimed != 1:
        return None
    return ScheduledPublication.objects.select_related("day", "scheduled_by").get(pk=scheduled_id)


def _scheduled_publication_finish(scheduled: ScheduledPublication, status: str, outcome: str) -> bool:
    """Record the outcome if this run still holds the order (same lease); say whether it did."""
    if ScheduledPublication.TRANSITIONS.move(scheduled, status, from_state=ScheduledPublication.Status.RUNNING,
                                             where={"claimed_until": scheduled.claimed_until},
                                             outcome=outcome, claimed_until=None, finished_at=timezone.now()):
        return True
    logger.warning("scheduled publication #%s was taken over by another run; this outcome is dropped", scheduled.pk)
    return False


def scheduled_publication_run(*, scheduled_id: int, now: dt.datetime | None = None) -> ScheduledPublication | None:
    """Publish as scheduled, once; None when another run has it or it is finished or cancelled."""
    scheduled = scheduled_publication_claim(scheduled_id=scheduled_id, now=now)
    if scheduled is None:
        return None
    if scheduled.attempts > MAX_CLAIMS:
        _scheduled_publication_finish(scheduled, ScheduledPublication.Status.FAILED,
                                      f"its worker stopped {MAX_CLAIMS} times without finishing (killed after "
                                      f"Q_TIMEOUT = {settings.Q_CLUSTER['timeout']} s, or its machine died); "
                                      "publish the day from its publish page")
        return scheduled
    try:
        result = day_publish(day=scheduled.day, user=scheduled.scheduled_by, approved_only=scheduled.approved_only,
                             correction_note=scheduled.correction_note)
    except Exception as exc:  # a PublishError or anything else: recorded for the chief editor
        outcome, why = ScheduledPublication.Status.FAILED, str(exc)
    else:
        outcome = ScheduledPublication.Status.DONE
        why = f"version {result.publication.version}" + ("" if result.created else " (unchanged)")
    _scheduled_publication_finish(scheduled, outcome, why)
    return scheduled


@dataclass(frozen=True)
class ScheduledRecovery:
    handed_again: int  # running past their lease: their worker died
    overdue: int  # pending past their time: their Schedule's task never ran

    def __str__(self) -> str:
        return (f"scheduled publications handed to the workers again: {self.handed_again} whose worker stopped, "
                f"{self.overdue} overdue")


def scheduled_publications_recover(*, now: dt.datetime | None = None) -> ScheduledRecovery:
    """Hand to the workers again the orders no run finished: running past their lease, or pending
    well past their time. Each is claimed by its task as usual (conditional, counted), so an order
    handed out twice still publishes once, and one that keeps killing its worker fails."""
    now = now or timezone.now()
    Status = ScheduledPublication.Status
    stopped = list(ScheduledPublication.objects.filter(status=Status.RUNNING, claimed_until__lt=now)
                   .values_list("pk", flat=True))
    overdue = list(ScheduledPublication.objects.filter(status=Status.PENDING, publish_at__lt=now - _hand_out_again_after())
                   .values_list("pk", flat=True))
    for scheduled_id in stopped + overdue:
        async_task(SCHEDULED_PUBLICATION_FUNC, scheduled_id, task_name=f"scheduled-publication-{scheduled_id}")
    return ScheduledRecovery(handed_again=len(stopped), overdue=len(overdue))
