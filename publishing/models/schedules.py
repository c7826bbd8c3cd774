"""Scheduled publications: a chief editor's order to publish a day at a chosen time."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digest_site.transitions import Transitions
from publishing.models.days import DigestDay


class ScheduledPublication(models.Model):
    """A chief editor's order to publish a day at a time: run once, by a django-q2 schedule, with the
    entries approved at that moment; what came of it is kept here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("published")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    # A run claims a pending order (PENDING → RUNNING), once; a chief editor cancels one still pending.
    TRANSITIONS = Transitions(field="status", owners=("publishing.posts.scheduling",), table={
        Status.PENDING: {Status.RUNNING, Status.CANCELLED},
        Status.RUNNING: {Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
        Status.CANCELLED: set(),
    })

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.CASCADE,
                            related_name="scheduled_publications")
    publish_at = models.DateTimeField(_("publish at"))
    approved_only = models.BooleanField(_("approved entries only"), default=False)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("scheduled by"), on_delete=models.PROTECT,
                                     related_name="+")
    scheduled_at = models.DateTimeField(_("scheduled at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    outcome = models.TextField(_("outcome"), blank=True)
    schedule_name = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("scheduled publication")
        verbose_name_plural = _("scheduled publications")
        ordering = ["-publish_at"]

    def __str__(self) -> str:
        return f"{self.day} @ {self.publish_at:%Y-%m-%d %H:%M}"
