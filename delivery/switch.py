"""The delivery switch: which instance of the site may mail readers and call webhooks from this database.

A backup restored elsewhere (staging, a laptop) carries live subscribers, webhook endpoints and
schedules. Each instance has a name (`DIGEST_INSTANCE`, by default `DIGEST_SITE_URL` without its
scheme), and the database records the one that delivers (the latest `DeliverySwitch`). Delivery is
held on this instance when

- the database records another instance (it was restored here from elsewhere),
- delivery was switched off (`disable_delivery`), or
- no instance is recorded (a database made before the switch existed, or restored from one).

Held, the email batches and the webhook sends do nothing: their rows stay pending, neither claimed
nor failed, and go out once delivery is enabled here (`enable_delivery` records this instance and
hands the due rows to the workers). A new installation (`migrate` on a database with no subscriber
and no endpoint) is switched on for its own instance at once, so a new deploy and the demo just work.

The switch is read on every batch, webhook send and sweep (one query), so switching takes effect
from the next of them in every process, with no cache to go stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from delivery.models import DeliverySwitch, Subscriber, WebhookEndpoint

NEW_INSTALLATION = "migrate (new installation)"


def this_instance() -> str:
    return settings.DIGEST_INSTANCE


def _when(switch: DeliverySwitch) -> str:
    return timezone.localtime(switch.switched_at).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class DeliveryHold:
    """Whether this instance may deliver now, and if not, why."""

    instance: str
    switch: DeliverySwitch | None  # the latest; None: never switched

    @property
    def held(self) -> bool:
        # A switched-off row names no instance, so it differs from every one.
        return self.switch is None or self.switch.instance != self.instance

    @property
    def reason(self) -> str:
        """Why delivery is held, in the active language (the admin's banner); empty when it is not."""
        if not self.held:
            return ""
        if self.switch is None:
            return gettext("no instance is recorded as the one that delivers (a database restored from a backup, "
                           "or made before delivery had a switch)")
        facts = {"recorded": repr(self.switch.instance), "when": _when(self.switch), "who": self.switch.switched_by}
        if not self.switch.instance:
            return gettext("delivery was switched off %(when)s by %(who)s") % facts
        return gettext("this database delivers from %(recorded)s (enabled there %(when)s by %(who)s)") % facts

    def __str__(self) -> str:
        """One line in English, for the commands and the logs."""
        if not self.held:
            return (f"delivery enabled for this instance {self.instance!r} "
                    f"(since {_when(self.switch)}, by {self.switch.switched_by})")
        with translation.override(None):
            reason = self.reason
        return (f"delivery held on this instance {self.instance!r}: {reason}; run `manage.py enable_delivery` "
                "on the instance that should mail and call webhooks")


def delivery_hold() -> DeliveryHold:
    """Read the switch: may this instance deliver now?"""
    return DeliveryHold(instance=this_instance(), switch=DeliverySwitch.objects.order_by("-id").first())


@transaction.atomic
def delivery_enable(*, by: str) -> DeliverySwitch | None:
    """Record this instance as the one that delivers from this database; None if it was already.
    The caller hands the rows that waited to the workers (delivery.schedule.deliveries_sweep)."""
    if not delivery_hold().held:
        return None
    return DeliverySwitch.objects.create(instance=this_instance(), switched_by=by)


@transaction.atomic
def delivery_disable(*, by: str) -> DeliverySwitch | None:
    """Switch delivery off for every instance of this database; None if it was off already."""
    latest = DeliverySwitch.objects.order_by("-id").first()
    if latest is not None and not latest.instance:
        return None
    return DeliverySwitch.objects.create(instance="", switched_by=by)


def delivery_enable_new_installation(*, using: str = DEFAULT_DB_ALIAS) -> DeliverySwitch | None:
    """After `migrate`: a database with no switch, no subscriber and no endpoint is a new installation,
    and delivers from the instance that made it. One that has subscribers or endpoints (an upgrade, a
    restored copy) is left held for an operator to decide."""
    if DeliverySwitch._meta.db_table not in connections[using].introspection.table_names():
        return None  # migrated back to before the switch
    with transaction.atomic(using=using):
        if (DeliverySwitch.objects.using(using).exists() or Subscriber.objects.using(using).exists()
                or WebhookEndpoint.objects.using(using).exists()):
            return None
        return DeliverySwitch.objects.using(using).create(instance=this_instance(), switched_by=NEW_INSTALLATION)
