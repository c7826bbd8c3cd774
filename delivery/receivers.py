"""Delivery reacts to publication: a version that went live is announced and mailed (once each); and to
`migrate`: a new installation is switched on for its own instance (delivery.switch)."""

from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from delivery.edition import email_edition_prepare
from delivery.schedule import delivery_schedule_install
from delivery.switch import delivery_enable_new_installation
from delivery.webhooks import publication_announce
from publishing.models import DigestDay
from publishing.signals import day_publication_changed, schedules_installing


@receiver(day_publication_changed)
def webhooks_announce_new_versions(sender, day, **kwargs) -> None:
    """A version that went live is announced (once per endpoint); an unpublish announces nothing."""
    day = DigestDay.objects.select_related("live_publication").get(pk=day.pk)
    if day.live_publication is not None:
        publication_announce(publication=day.live_publication)


@receiver(day_publication_changed)
def email_edition_for_new_versions(sender, day, **kwargs) -> None:
    """A version that went live is mailed (once per subscriber); an unpublish mails nothing."""
    day = DigestDay.objects.select_related("live_publication__day").get(pk=day.pk)
    if day.live_publication is not None:
        email_edition_prepare(publication=day.live_publication)


@receiver(schedules_installing)
def install_the_delivery_sweep(sender, now=None, **kwargs) -> str:
    schedule, created = delivery_schedule_install(now)
    return f"Schedule {schedule.name!r} {'installed' if created else 'updated'}: {schedule.func} every {schedule.minutes} minutes"


@receiver(post_migrate)
def a_new_installation_delivers(sender, using, **kwargs) -> None:
    """A database just made by `migrate` (no subscriber, no endpoint) delivers from this instance, with no command."""
    if sender.name == "delivery":
        delivery_enable_new_installation(using=using)
def cache_table_create(sender, using, **kwargs) -> None:
    """`migrate` makes the database cache's table (DIGEST_CACHE_URL=db://, the default), where the
    subscription form's rate limits count; connected for this app only, so it runs once per migrate.
    createcachetable makes only what is missing, and nothing for a Redis or memory cache."""
    call_command("createcachetable", database=using, verbosity=0)
