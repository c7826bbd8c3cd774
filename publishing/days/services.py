"""State changes of digest days; the only code that sets DigestDay.status."""

from __future__ import annotations

from django.db import transaction

from publishing.models import DigestDay


class DayStateError(Exception):
    pass


def day_move(*, day: DigestDay, to: DigestDay.Status) -> DigestDay:
    current = DigestDay.Status(day.status)
    if to == current:
        return day
    if to not in DigestDay.TRANSITIONS[current]:
        raise DayStateError(f"{day.date} is {current.value}; it cannot become {to.value}")
    day.status = to
    day.save(update_fields=["status"])
    return day


@transaction.atomic
def day_flag_attention(*, day: DigestDay, step: str, reason: str) -> DigestDay:
    """Mark the day as needing an editor's attention, remembering which step raised it and why."""
    if day.status != DigestDay.Status.NEEDS_ATTENTION:
        day.status_before_attention = day.status
        day_move(day=day, to=DigestDay.Status.NEEDS_ATTENTION)
    day.attention_step = step
    day.attention_reason = reason
    day.save(update_fields=["attention_step", "attention_reason", "status_before_attention"])
    return day


@transaction.atomic
def day_clear_attention(*, day: DigestDay, step: str) -> DigestDay:
    """Clear a flag that `step` raised (a later success of the same step); leave other flags alone."""
    if day.status != DigestDay.Status.NEEDS_ATTENTION or day.attention_step != step:
        return day
    day_move(day=day, to=DigestDay.Status(day.status_before_attention or DigestDay.Status.COLLECTING))
    day.attention_step = day.attention_reason = day.status_before_attention = ""
    day.save(update_fields=["attention_step", "attention_reason", "status_before_attention"])
    return day
