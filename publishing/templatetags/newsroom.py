"""The editor's front page on the admin index (templates/admin/index.html)."""

from django import template

from publishing.permissions import VIEW_ENTRY
from publishing.review.front_page import recent_edits_of, unfinished_work, work_by_digest

register = template.Library()


@register.inclusion_tag("admin/publishing/front_page.html", takes_context=True)
def editor_front_page(context):
    user = context["request"].user
    if not user.has_perm(VIEW_ENTRY):
        return {"shown": False}
    digests = work_by_digest(user)
    return {"shown": True, "digests": digests, "any_days": any(item.days for item in digests),
            "several_digests": len(digests) > 1, "unfinished": unfinished_work(user), "edits": recent_edits_of(user)}
