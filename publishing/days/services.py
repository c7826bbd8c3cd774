"""State changes of digest days: the only code that sets DigestDay.status, and every change leaves a
DayTransition row (from, to, step, reason, who or which job, when) so the admin can say why a day is
where it is (healthchecks keeps a Flip per status change the same way).

Who acts: a user when an editor does it; otherwise the job named by `acting_as` (a command, the
schedule, a worker), set once at the edge so the services below need not pass it along.
"""

from __future__ import annotations

import contextlib
import getpass
from contextvars import ContextVar

from django.db import transaction
from django.utils.translation import gettext as _

from digests.access import require_in_digest
from digests.models import Digest
from publishing.audit import audit_log
from publishing.days.windows import DigestWindow
from publishing.models import DayTransition, DigestDay
from publishing.permissions import PUBLISH_DAY
from publishing.signals import day_status_changed

COLLECT_STEP = "collect"
DRAFT_STEP = "draft"
PUBLISH_STEP = "publish"
# A chief editor cleared a flag by hand, saying why the day may go on.
ACKNOWLEDGE_STEP = "acknowledge"

NO_JOB = "system"
_acting_job: ContextVar[str] = ContextVar("acting_job", default=NO_JOB)


class DayStateError(Exception):
    pass


def shell_login() -> str:
    """Who runs a command from the shell, as the records name them: "shell:<login>"."""
    try:
        return f"shell:{getpass.getuser()}"
    except Exception:  # no login name (some containers): still say it came from the shell
        return "shell"


@contextlib.contextmanager
def acting_as(job: str, *, unless_set: bool = False):
    """Record day moves made inside this block as done by `job` (e.g. "fetch_papers (shell:ana)").

    `unless_set`: keep an outer block's job (a worker's receiver inside a command's --sync run).
    """
    if unless_set and _acting_job.get() != NO_JOB:
        yield
        return
    token = _acting_job.set(job)
    try:
        yield
    finally:
        _acting_job.reset(token)


def _record(day: DigestDay, *, from_status: str, step: str, reason: str, user) -> DayTransition:
    transition = DayTransition.objects.create(
        day=day,
        from_status=from_status,
        to_status=day.status,
        step=step,
        reason=reason,
        user=user,
        actor=user.get_username() if user is not None else _acting_job.get(),
    )
    # Apps above publishing hear of the move once it is committed; a receiver that fails is logged
    # by Django and never undoes or stops the move.
    transaction.on_commit(lambda: day_status_changed.send_robust(
        sender=DigestDay, transition_id=transition.pk, from_status=from_status, to_status=transition.to_status,
        step=step), robust=True)
    return transition


@transaction.atomic
def day_open(*, window: DigestWindow, digest: Digest | None = None) -> DigestDay:
    """The digest's day of `window` (the first digest's if none is named), created (and its first
    transition recorded) if it does not exist yet."""
    day, created = DigestDay.objects.get_or_create(
        digest=digest or Digest.objects.home(), date=window.date,
        defaults={"window_start": window.start, "window_end": window.end},
    )
    if created:
        _record(day, from_status="", step=COLLECT_STEP, reason="", user=None)
    return day


def day_move(*, day: DigestDay, to: DigestDay.Status, step: str = "", reason: str = "", user=None) -> DigestDay:
    current = DigestDay.Status(day.status)
    if to == current:
        return day
    if not DigestDay.TRANSITIONS.allows(current, to) or not DigestDay.TRANSITIONS.move(day, to):
        raise DayStateError(f"{day.date} is {current.value}; it cannot become {to.value}")
    _record(day, from_status=current, step=step, reason=reason, user=user)
    return day


@transaction.atomic
def day_advance(*, day: DigestDay, to: DigestDay.Status, step: str) -> DigestDay:
    """Move the day on; a flagged day stays flagged and remembers where to go once the flag is cleared."""
    if day.status == DigestDay.Status.NEEDS_ATTENTION:
        if day.status_before_attention != to:
            day.status_before_attention = to
            day.save(update_fields=["status_before_attention"])
        return day
    return day_move(day=day, to=to, step=step)


@transaction.atomic
def day_flag_attention(*, day: DigestDay, step: str, reason: str) -> DigestDay:
    """Mark the day as needing an editor's attention, remembering which step raised it and why."""
    if day.status != DigestDay.Status.NEEDS_ATTENTION:
        day.status_before_attention = day.status
        day.save(update_fields=["status_before_attention"])
        day_move(day=day, to=DigestDay.Status.NEEDS_ATTENTION, step=step, reason=reason)
    elif (day.attention_step, day.attention_reason) != (step, reason):
        # Still flagged, for another reason now: the history says so too.
        _record(day, from_status=day.status, step=step, reason=reason, user=None)
    day.attention_step = step
    day.attention_reason = reason
    day.save(update_fields=["attention_step", "attention_reason"])
    return day


@transaction.atomic
def day_clear_attention(*, day: DigestDay, step: str, reason: str = "") -> DigestDay:
    """Clear a flag that `step` raised (a later success of the same step); leave other flags alone."""
    if day.status != DigestDay.Status.NEEDS_ATTENTION or day.attention_step != step:
        return day
    back_to = DigestDay.Status(day.status_before_attention or DigestDay.Status.COLLECTING)
    day.attention_step = day.attention_reason = day.status_before_attention = ""
    day.save(update_fields=["attention_step", "attention_reason", "status_before_attention"])
    day_move(day=day, to=back_to, step=step, reason=reason or "cleared: the step succeeded")
    return day


@transaction.atomic
def day_acknowledge_attention(*, day: DigestDay, user, reason: str) -> DigestDay:
    """A chief editor clears the day's flag, saying why the day may go on (e.g. "arXiv skipped Thanksgiving").

    The day returns where it was going (as when the step itself clears its flag), so a day in
    review can be published; the history records the acknowledgement with the reason and the
    user, and so does the admin log. The step that raised the flag does not raise the very same
    warning again on this day (see `day_flag_acknowledged`); a different one flags it again.
    """
    require_in_digest(user, PUBLISH_DAY, day.digest_id, "only a chief editor of the day's digest can acknowledge "
                                                        "its flag")
    reason = reason.strip()
    if not reason:
        raise DayStateError(_("Say why the day may go on despite the flag."))
    day = DigestDay.objects.select_for_update().get(pk=day.pk)
    if day.status != DigestDay.Status.NEEDS_ATTENTION:
        raise DayStateError(_("%(date)s is not flagged; there is nothing to acknowledge.") % {"date": day.date})
    flagged_for = day.attention_reason
    back_to = DigestDay.Status(day.status_before_attention or DigestDay.Status.COLLECTING)
    day.attention_step = day.attention_reason = day.status_before_attention = ""
    day.save(update_fields=["attention_step", "attention_reason", "status_before_attention"])
    day_move(day=day, to=back_to, step=ACKNOWLEDGE_STEP, reason=reason, user=user)
    audit_log(user=user, obj=day, message=f"Acknowledged the flag ({flagged_for}): {reason}")
    return day


def day_flag_acknowledged(*, day: DigestDay, step: str, reason: str) -> bool:
    """Whether a chief editor has acknowledged this very flag (the same step and reason) on the day."""
    flag = None
    for row in day.transitions.order_by("at", "id"):
        if row.to_status == DigestDay.Status.NEEDS_ATTENTION:
            flag = (row.step, row.reason)
        elif row.step == ACKNOWLEDGE_STEP and flag == (step, reason):
            return True
    return False
