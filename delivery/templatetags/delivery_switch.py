"""The admin's warning that delivery is held on this instance (templates/admin/index.html and delivery's pages)."""

from django import template

from delivery.switch import delivery_hold

register = template.Library()


@register.inclusion_tag("admin/delivery/held_banner.html")
def delivery_held_banner():
    return {"hold": delivery_hold()}
