"""Filters for the days' flags in the admin's templates: `{{ day.attention_reason|flag_reason }}`,
`{{ row.step|day_step }}`, `{{ row.actor|day_actor }}`."""

from django import template

from publishing.review.flag_wording import actor_shown, reason_shown, step_shown

register = template.Library()


@register.filter
def flag_reason(reason: str) -> str:
    return reason_shown(reason or "")


@register.filter
def day_step(step: str) -> str:
    return step_shown(step or "")


@register.filter
def day_actor(actor: str) -> str:
    return actor_shown(actor or "")
