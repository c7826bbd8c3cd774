"""Incidents: a part of the system found failing, from the check that first saw it until one saw it well.

One row per (part, subject) while it is open, made by the first evaluation that finds the problem (a
database constraint: two evaluations at once make one row, so the team is told once), closed by the
first that finds it gone. A problem that comes back later opens a new row. The row also records what
the team was told and when, or why telling them failed.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IncidentQuerySet(models.QuerySet):
    def open(self) -> "IncidentQuerySet":
        return self.filter(resolved_at__isnull=True)


class Incident(models.Model):
    class Kind(models.TextChoices):
        # The parts of monitoring.checks that can fail while the database answers.
        BROKER = "broker", _("task broker")
        WORKERS = "workers", _("workers' heartbeat")
        MORNING_RUN = "morning_run", _("morning run")
        DRAFTS = "drafts", _("machine drafts")
        SCHEDULED_PUBLICATIONS = "scheduled_publications", _("scheduled publications")
        EMAIL_DELIVERIES = "email_deliveries", _("email deliveries")
        WEBHOOK_DELIVERIES = "webhook_deliveries", _("webhook deliveries")
        ARCHIVE_FILES = "archive_files", _("archive files")

    kind = models.CharField(_("part"), max_length=32, choices=Kind.choices)
    # Which one within the part: a digest date, a scheduled publication (#12); empty for the part as a whole.
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    first_detail = models.TextField(_("what was found"))
    last_detail = models.TextField(_("last seen as"))
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # What the team was told: when the alert (and the recovery) went out, or why it could not.
    alerted_at = models.DateTimeField(_("alert sent"), null=True, blank=True)
    alert_error = models.TextField(_("alert failed"), blank=True)
    recovery_alerted_at = models.DateTimeField(_("recovery sent"), null=True, blank=True)
    recovery_error = models.TextField(_("recovery message failed"), blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One open incident per part and subject: of two evaluations at once, one opens it (and alerts).
            models.UniqueConstraint(fields=["kind", "subject"], condition=Q(resolved_at__isnull=True),
                                    name="incident_open_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}".strip()

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
