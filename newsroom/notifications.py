"""Telling the newsroom of the day's events: each event once, to each person who wants it by email and to
the team's chat (DIGEST_ALERT_WEBHOOK_URL, monitoring's setting and digest_site/chat.py's sender).

- `notification_raise` records an event under its unique key with one row per way it goes (an
  editor's mail, the chat post); an event raised again (a second sweep, a signal and a sweep at
  once) finds its key taken and sends nothing. The rows are sent once the event is committed.
- `notification_send` claims a row with a conditional update and a lease, so two senders never send
  it twice; a failure is recorded on the row (the admin shows it) and tried again after a doubling
  wait, up to MAX_TRIES; `notifications_send_due` (the publishing sweep) sends what is due.
- The only code that moves a NotificationSend.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from digest_site.chat import chat_post, chat_text_body, webhook_kind
from digests.models import DigestRole
from newsroom.models import Notification, NotificationPreference, NotificationSend
from newsroom.team import ROLE_GROUPS
from publishing.models import DigestDay

logger = logging.getLogger(__name__)

MAX_TRIES = 5
FIRST_RETRY = dt.timedelta(minutes=5)
LEASE = dt.timedelta(minutes=2)  # one mail or one post, each with its own timeout


@dataclass(frozen=True)
class Event:
    """What happened, in the newsroom's words: `key` names it once and for all."""

    key: str
    kind: str  # Notification.Kind
    subject: str
    body: str
    link: str = ""
    day_id: int | None = None
    chiefs_only: bool = False  # for chief editors (a flag, a schedule, the deadline); else every editor


def recipients(*, chiefs_only: bool, digest_id: int | None = None) -> QuerySet:
    """Active people with a newsroom role (or the Chief editor role) and an address, who did not turn
    the notifications off; for an event of a digest's day, those who hold that role in the digest."""
    groups = [ROLE_GROUPS["chief"]] if chiefs_only else list(ROLE_GROUPS.values())
    people = get_user_model().objects.filter(is_active=True, groups__name__in=groups)
    if digest_id is not None:
        in_digest = DigestRole.objects.filter(digest_id=digest_id)
        if chiefs_only:
            in_digest = in_digest.filter(role=DigestRole.Role.CHIEF)
        people = people.filter(pk__in=in_digest.values("user_id"))
    return (people.exclude(email="").exclude(notification_preference__by_email=False).distinct().order_by("pk"))


def _digest_of_day(day_id: int | None) -> int | None:
    if day_id is None:
        return None
    return DigestDay.objects.filter(pk=day_id).values_list("digest_id", flat=True).first()


def notification_raise(event: Event) -> Notification | None:
    """Record the event with its sends and send them after commit; None if it was raised before."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                event_key=event.key, kind=event.kind, day_id=event.day_id, subject=event.subject,
                body=event.body, link=event.link)
            sends = [NotificationSend(notification=notification, channel=NotificationSend.Channel.EMAIL, user=user)
                     for user in recipients(chiefs_only=event.chiefs_only, digest_id=_digest_of_day(event.day_id))]
            if settings.DIGEST_ALERT_WEBHOOK_URL:
                sends.append(NotificationSend(notification=notification, channel=NotificationSend.Channel.CHAT))
            NotificationSend.objects.bulk_create(sends)
    except IntegrityError:  # its key is taken: told already (or being told by another process)
        return None
    send_ids = [send.pk for send in NotificationSend.objects.filter(notification=notification)]
    transaction.on_commit(lambda: [notification_send(send_id=send_id) for send_id in send_ids], robust=True)
    return notification


def _claim(send_id: int, now: dt.datetime) -> NotificationSend | None:
    Status = NotificationSend.Status
    claimable = Q(status=Status.PENDING, next_try_at__lte=now) | Q(status=Status.SENDING, claimed_until__lt=now)
    claimed = NotificationSend.TRANSITIONS.move_rows(
        NotificationSend.objects.filter(claimable, pk=send_id), Status.SENDING,
        from_states=[Status.PENDING, Status.SENDING], claimed_until=now + LEASE, attempts=F("attempts") + 1)
    if claimed != 1:
        return None
    return NotificationSend.objects.select_related("notification", "user").get(pk=send_id)


def notification_send(*, send_id: int, now: dt.datetime | None = None) -> str | None:
    """Send one row if it is due and nobody holds it: its new status, or None when not this call's to send."""
    now = now or timezone.now()
    send = _claim(send_id, now)
    if send is None:
        return None
    failure = _mail(send) if send.channel == NotificationSend.Channel.EMAIL else _post(send.notification)
    Status = NotificationSend.Status
    held = {"claimed_until": send.claimed_until}
    if not failure:
        NotificationSend.TRANSITIONS.move(send, Status.SENT, where=held, sent_at=timezone.now(), last_error="",
                                          claimed_until=None)
    elif send.attempts >= MAX_TRIES:
        NotificationSend.TRANSITIONS.move(send, Status.FAILED, where=held, last_error=failure, claimed_until=None)
    else:
        NotificationSend.TRANSITIONS.move(send, Status.PENDING, where=held, last_error=failure, claimed_until=None,
                                          next_try_at=now + FIRST_RETRY * 2 ** (send.attempts - 1))
    if failure:
        logger.warning("notification %s (%s) not sent by %s: %s", send.notification.event_key, send.user or "chat",
                       send.channel, failure)
    return send.status


def notifications_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every row due: pending whose time came (a retry), or held past its lease (its sender died)."""
    now = now or timezone.now()
    Status = NotificationSend.Status
    due = NotificationSend.objects.filter(Q(status=Status.PENDING, next_try_at__lte=now)
                                          | Q(status=Status.SENDING, claimed_until__lt=now))
    return sum(notification_send(send_id=send_id, now=now) is not None
               for send_id in due.values_list("pk", flat=True)[:200])


def notification_send_retry(*, send: NotificationSend) -> bool:
    """An editor's retry of a failed row: a fresh set of tries, now. False when it is no longer failed."""
    moved = NotificationSend.TRANSITIONS.move(send, NotificationSend.Status.PENDING,
                                              from_state=NotificationSend.Status.FAILED, attempts=0,
                                              next_try_at=timezone.now())
    if moved:
        transaction.on_commit(lambda: notification_send(send_id=send.pk), robust=True)
    return moved


def _mail(send: NotificationSend) -> str:
    user, notification = send.user, send.notification
    if not user.email or NotificationPreference.objects.filter(user=user, by_email=False).exists():
        return ""  # turned off (or no address) since: nothing to send, and nothing to try again
    address = email.utils.formataddr((user.get_full_name() or user.get_username(), user.email))
    body = notification.body + (f"\n\n{notification.link}" if notification.link else "")
    try:
        EmailMessage(subject=notification.subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                     to=[address]).send()
    except Exception as exc:  # a refusal, a server down, a bad backend: recorded on the row, never raised
        return f"email: {exc.__class__.__name__}: {exc}"
    return ""


def _post(notification: Notification) -> str:
    url = settings.DIGEST_ALERT_WEBHOOK_URL
    if not url:
        return ""  # the chat was configured away since
    kind = webhook_kind(url, settings.DIGEST_ALERT_WEBHOOK_KIND)
    text = f"{notification.subject}\n\n{notification.body}" + (f"\n{notification.link}" if notification.link else "")
    body = ({"event": f"notification.{notification.kind}", "key": notification.event_key,
             "title": notification.subject, "text": notification.body, "url": notification.link or None}
            if kind == "generic" else chat_text_body(text, kind))
    return chat_post(url, body, user_agent="arxiv-digest notifications")


@transaction.atomic
def notification_preference_set(*, user, by_email: bool) -> NotificationPreference:
    """A person's own choice whether the newsroom's notifications reach them by email."""
    preference, _created = NotificationPreference.objects.update_or_create(user=user, defaults={"by_email": by_email})
    return preference


def notification_preference_of(user) -> bool:
    """Whether the user gets the notifications by email (the default: yes); read only."""
    return not NotificationPreference.objects.filter(user=user, by_email=False).exists()
