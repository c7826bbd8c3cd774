"""The editor's front page on the admin index (templates/admin/index.html)."""

from django import template

from publishing.permissions import VIEW_ENTRY
from publishing.review.front_page import days_at_work, recent_edits_of, unfinished_work

register = template.Library()


@register.inclusion_tag("admin/publishing/front_page.html", takes_context=True)
def editor_front_page(context):
    user = context["request"].user
    if not user.has_perm(VIEW_ENTRY):
        return {"shown": False}
    return {"shown": True, "days": days_at_work(), "unfinished": unfinished_work(), "edits": recent_edits_of(user)}
