"""Scheduled publications: a chief editor's order to publish a day at a chosen time."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digest_site.transitions import Transitions
from publishing.models.days import DigestDay


class ScheduledPublicationQuerySet(models.QuerySet):
    def needing_attention(self, *, now: dt.datetime, overdue_after: dt.timedelta) -> "ScheduledPublicationQuerySet":
        """What a chief editor must know of: a failed order whose day was not published since it
        failed; a pending one `overdue_after` past its time (no worker ran its Schedule); a running one
        past its lease (its worker stopped; the publishing sweep tries it again)."""
        # (Rows failed before `finished_at` was kept count from their time.)
        failed_at = Coalesce(OuterRef("finished_at"), OuterRef("publish_at"))
        published_since = Exists(DigestDay.objects.filter(pk=OuterRef("day_id"),
                                                          live_publication__published_at__gte=failed_at))
        return self.filter(
            Q(status=ScheduledPublication.Status.FAILED) & ~published_since
            | Q(status=ScheduledPublication.Status.PENDING, publish_at__lt=now - overdue_after)
            | Q(status=ScheduledPublication.Status.RUNNING, claimed_until__lt=now))


class ScheduledPublication(models.Model):
    """A chief editor's order to publish a day at a time: run once, by a django-q2 schedule, with the
    entries approved at that moment; what came of it is kept here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("published")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    # A run claims a pending order (PENDING → RUNNING), once, with a lease (`claimed_until`); when its
    # worker dies the lease runs out and a retry or the publishing sweep claims it again (RUNNING →
    # RUNNING), up to scheduling.MAX_CLAIMS times. A chief editor cancels one still pending.
    TRANSITIONS = Transitions(field="status", owners=("publishing.posts.scheduling",), table={
        Status.PENDING: {Status.RUNNING, Status.CANCELLED},
        Status.RUNNING: {Status.RUNNING, Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
        Status.CANCELLED: set(),
    })

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.CASCADE,
                            related_name="scheduled_publications")
    publish_at = models.DateTimeField(_("publish at"))
    approved_only = models.BooleanField(_("approved entries only"), default=False)
    # The chief editor's choices for the publication, kept for the run (which may be hours later).
    correction_note = models.TextField(_("correction note"), blank=True)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("scheduled by"), on_delete=models.PROTECT,
                                     related_name="+")
    scheduled_at = models.DateTimeField(_("scheduled at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    outcome = models.TextField(_("outcome"), blank=True)
    schedule_name = models.CharField(max_length=100, blank=True, editable=False)
    # The run that claimed it holds it until then; past it, its worker is taken for dead.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)

    objects = ScheduledPublicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("scheduled publication")
        verbose_name_plural = _("scheduled publications")
        ordering = ["-publish_at"]

    def __str__(self) -> str:
        return f"{self.day} @ {timezone.localtime(self.publish_at):%Y-%m-%d %H:%M}"  # the site's time
