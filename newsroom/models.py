"""What the newsroom is told, and who wants to be told: notifications of the day's events to editors and
chief editors (newsroom/notifications.py sends them; newsroom/notification_events.py finds them)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digest_site.transitions import Transitions


class NotificationPreference(models.Model):
    """A person's choice, made by themself in the admin; no row: they get every notification by email."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="notification_preference")
    by_email = models.BooleanField(_("send me the newsroom's notifications by email"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class Notification(models.Model):
    """One event the newsroom is told of, once: its key is unique, so a sweep that finds it again, a
    signal and a sweep finding it together, or a retry never make a second one."""

    class Kind(models.TextChoices):
        DAY_READY = "day_ready", _("day ready for review")
        DAY_FLAGGED = "day_flagged", _("day flagged")
        SCHEDULE_OVERDUE = "schedule_overdue", _("scheduled publication overdue")
        SCHEDULE_FAILED = "schedule_failed", _("scheduled publication failed")
        DEADLINE_MISSED = "deadline_missed", _("day unpublished at the deadline")

    event_key = models.CharField(_("event"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    day = models.ForeignKey("publishing.DigestDay", verbose_name=_("day"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    link = models.URLField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class NotificationSend(models.Model):
    """A notification's way to one person (email) or to the team's chat: sent once, a failure recorded
    and tried again later."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        CHAT = "chat", _("chat webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    # A sender claims a pending row (with a lease); it ends sent, pending again after a failed try (a
    # doubling wait), or failed after the last try; a sender that died is claimed again once its lease
    # ran out; an editor's retry makes a failed row pending again.
    TRANSITIONS = Transitions(field="status", owners=("newsroom.notifications",), table={
        Status.PENDING: {Status.SENDING},
        Status.SENDING: {Status.SENT, Status.PENDING, Status.FAILED, Status.SENDING},
        Status.SENT: set(),
        Status.FAILED: {Status.PENDING},
    })

    notification = models.ForeignKey(Notification, verbose_name=_("notification"), on_delete=models.CASCADE,
                                     related_name="sends")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try at"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification send")
        verbose_name_plural = _("notification sends")
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], condition=Q(channel="email"),
                                    name="one_mail_per_person_and_notification"),
            models.UniqueConstraint(fields=["notification"], condition=Q(channel="chat"),
                                    name="one_chat_post_per_notification"),
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="notification_send_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.user or ''}".strip()
