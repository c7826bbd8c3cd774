"""Sending the email edition: leased batches of deliveries, each marked the moment the server accepts it.

django-q2 tasks send a version's pending rows in batches (`email_batch_send`):

1. claim up to DIGEST_EMAIL_BATCH_SIZE rows with one conditional update: pending rows that are due,
   and rows still `sending` whose claim's lease ran out (their worker died); the update stamps the
   rows with this claim's id and a lease longer than a task may live (Q_TIMEOUT + a minute), so no
   other worker touches them meanwhile;
2. render the day once per version and choice of categories (`edition_for`), as the bytes SMTP sends;
   per subscriber only the address, the Message-ID and the unsubscribe link are put in;
3. send the claimed rows one by one over one SMTP connection (delivery.outbox), and mark each row
   `sent` in its own autocommitted update once the server has accepted its message: the update is
   made while the server reads the next message's body, before the final dot that lets the server
   accept that one (so the commit overlaps the server's work), or when the batch ends;
4. a refusal is recorded with the server's code and words: 5xx fails the row (and a refused address
   makes the subscriber `bouncing`), 4xx or a lost connection puts it back to `pending` with a
   doubling wait (a django-q2 Schedule runs the batch again then), until MAX_ATTEMPTS;
5. if due rows remain, the next batch is queued as a new task. A version starts as many such chains
   of batches as there are workers (Q_WORKERS), so a large edition is sent by all of them at once.

The one window left: a worker that dies after the server accepted a message but before the row's
`sent` update committed (the time to send the next message's envelope and body, milliseconds, not
the whole batch: at most one message per connection is ever accepted and unmarked) leaves the row
claimed; when its lease runs out it is sent again. We chose that over marking rows sent before
sending, which would lose the mail of anyone in flight when a worker dies: a reader may, rarely,
get a day twice, but nobody is skipped. The Message-ID is the same on every try
(`<edition-P-S@host>`), so mail systems that drop duplicates by Message-ID drop that one.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from delivery.edition import NO_PAPER_IN_CATEGORIES, Edition, edition_for
from delivery.models import EmailDelivery, Subscriber, Subscription
from delivery.outbox import BackendOutbox, SmtpOutbox, outbox_open
from delivery.retries import BATCH_TASK, failed_retry, lease, retry_at, try_again_at
from delivery.subscribers import subscriber_move
from delivery.switch import delivery_hold

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEFT_THE_DIGEST = "left the digest before it was sent"
FIRST_RETRY = dt.timedelta(minutes=5)


def claimable(now: dt.datetime) -> Q:
    """Rows a batch may claim: pending and due, or still `sending` after their claim's lease ran out."""
    due = Q(status=EmailDelivery.Status.PENDING) & (Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
    abandoned = Q(status=EmailDelivery.Status.SENDING, claimed_until__lt=now)
    return due | abandoned


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    more: bool = False
    held: str = ""  # why nothing was claimed: delivery is held on this instance (delivery.switch)

    def __str__(self) -> str:
        if self.held:
            return self.held
        return (f"claimed {self.claimed}: sent {self.sent}, deferred {self.deferred}, failed {self.failed}, "
                f"skipped {self.skipped}" + ("; more to send" if self.more else ""))


def _refusal(exc: Exception, email: str) -> tuple[int | None, str]:
    """The server's code and words for a refused message (None: no answer, the connection failed)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, words = exc.recipients.get(email, next(iter(exc.recipients.values()), (None, b"")))
        return code, words.decode(errors="replace") if isinstance(words, bytes) else str(words)
    if isinstance(exc, smtplib.SMTPResponseException):
        words = exc.smtp_error
        return exc.smtp_code, words.decode(errors="replace") if isinstance(words, bytes) else str(words)
    return None, f"{exc.__class__.__name__}: {exc}"


def email_batch_send(*, publication_id: int, now: dt.datetime | None = None, batch_size: int | None = None,
                     queue_next: bool = True) -> BatchResult:
    """Claim and send one batch of a version's deliveries (the steps are in the module's docstring)."""
    hold = delivery_hold()
    if hold.held:  # a copy restored elsewhere, or delivery switched off: the rows wait, pending, unclaimed
        logger.warning("email edition of publication %s not sent: %s", publication_id, hold)
        return BatchResult(held=str(hold))
    now = now or timezone.now()
    batch_size = batch_size or settings.DIGEST_EMAIL_BATCH_SIZE
    claim = uuid.uuid4().hex
    result = BatchResult()
    candidates = list(EmailDelivery.objects.filter(claimable(now), publication_id=publication_id)
                      .order_by("id").values_list("id", flat=True)[:batch_size])
    if candidates:
        result.claimed = EmailDelivery.TRANSITIONS.move_rows(
            EmailDelivery.objects.filter(claimable(now), pk__in=candidates), EmailDelivery.Status.SENDING,
            from_states=[EmailDelivery.Status.PENDING, EmailDelivery.Status.SENDING],
            claimed_by=claim, claimed_until=now + lease(), attempts=F("attempts") + 1, last_tried_at=now)
    if result.claimed:
        _send_claimed(publication_id, claim, result, now)
    next_try = (EmailDelivery.objects.filter(publication_id=publication_id, status=EmailDelivery.Status.PENDING,
                                             next_try_at__gt=now).order_by("next_try_at")
                .values_list("next_try_at", flat=True).first())
    if next_try is not None:
        try_again_at(task=BATCH_TASK, argument=publication_id, at=next_try,
                     name=f"email {publication_id} at {next_try:%Y-%m-%d %H:%M:%S}")
    result.more = EmailDelivery.objects.filter(claimable(now), publication_id=publication_id).exists()
    if result.more and queue_next:
        async_task(BATCH_TASK, publication_id, task_name=f"email-{publication_id}")
    return result


def _send_claimed(publication_id: int, claim: str, result: BatchResult, now: dt.datetime) -> None:
    edition = edition_for(publication_id)
    rows = list(EmailDelivery.objects.filter(claimed_by=claim, status=EmailDelivery.Status.SENDING)
                .select_related("subscriber").order_by("id"))
    # Who still reads this digest, asked once for the batch: a reader who left it since is skipped.
    subscribed = set(Subscription.objects.filter(digest_id=edition.digest_id,
                                                 subscriber_id__in=[row.subscriber_id for row in rows])
                     .values_list("subscriber_id", flat=True))
    outbox = outbox_open()  # one connection for the batch
    accepted = _Accepted(claim, result)
    try:
        for delivery in rows:
            _send_one(edition, delivery, claim, outbox, accepted, result, now,
                      subscribed=delivery.subscriber_id in subscribed)
    finally:
        try:
            accepted.record()  # the last accepted message's row, before anything else can go wrong
        finally:
            outbox.close()


def _finish(delivery: EmailDelivery, claim: str, to: str, **fields) -> None:
    """Record a row's outcome at once (autocommit), only while this claim still holds it."""
    moved = EmailDelivery.TRANSITIONS.move(delivery, to, from_state=EmailDelivery.Status.SENDING,
                                           where={"claimed_by": claim}, claimed_by="", claimed_until=None, **fields)
    if not moved:
        logger.warning("email delivery %s: the claim was lost before its outcome was recorded", delivery.pk)


class _Accepted:
    """The message the server accepted last whose row is not yet marked sent: at most one, recorded
    before the server may accept another (the outbox calls `record` before each final dot)."""

    def __init__(self, claim: str, result: BatchResult) -> None:
        self.claim, self.result = claim, result
        self.delivery: EmailDelivery | None = None
        self.at: dt.datetime | None = None

    def hold(self, delivery: EmailDelivery) -> None:
        assert self.delivery is None, "a second accepted message before the first was recorded"
        self.delivery, self.at = delivery, timezone.now()

    def record(self) -> None:
        delivery, self.delivery = self.delivery, None
        if delivery is None:
            return
        _finish(delivery, self.claim, EmailDelivery.Status.SENT, sent_at=self.at, smtp_code=250,
                smtp_answer="accepted", error="")
        self.result.sent += 1
        subscriber = delivery.subscriber
        if subscriber.status == Subscriber.Status.BOUNCING:  # an editor's retry got through
            with transaction.atomic():
                subscriber.refresh_from_db()
                if subscriber.status == Subscriber.Status.BOUNCING:
                    subscriber_move(subscriber, Subscriber.Status.CONFIRMED, why="a mail was accepted again")


def _send_one(edition: Edition, delivery: EmailDelivery, claim: str, outbox: SmtpOutbox | BackendOutbox,
              accepted: _Accepted, result: BatchResult, now: dt.datetime, *, subscribed: bool) -> None:
    subscriber = delivery.subscriber
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED or not subscribed:
        why = "unsubscribed before it was sent" if subscriber.is_unsubscribed else LEFT_THE_DIGEST
        _finish(delivery, claim, EmailDelivery.Status.SKIPPED, error=why)
        result.skipped += 1
        return
    message = edition.message_for(email=subscriber.email, subscriber_id=subscriber.pk,
                                  categories_text=subscriber.categories_text,
                                  unsubscribe_token=subscriber.unsubscribe_token)
    if message is None:
        _finish(delivery, claim, EmailDelivery.Status.SKIPPED, error=NO_PAPER_IN_CATEGORIES)
        result.skipped += 1
        return
    try:
        outbox.send(message, before_accept=accepted.record)
    except (smtplib.SMTPException, OSError) as exc:
        code, words = _refusal(exc, subscriber.email)
        if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
            outbox.close()  # a lost connection: the next message opens a new one
        _record_refusal(delivery, claim, code, words, isinstance(exc, smtplib.SMTPRecipientsRefused), result, now)
        return
    accepted.hold(delivery)


def _record_refusal(delivery: EmailDelivery, claim: str, code: int | None, words: str, address_refused: bool,
                    result: BatchResult, now: dt.datetime) -> None:
    attempts = EmailDelivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
    error = f"{code} {words}".strip() if code else words
    if (code is not None and code >= 500) or attempts >= MAX_ATTEMPTS:
        _finish(delivery, claim, EmailDelivery.Status.FAILED, smtp_code=code, smtp_answer=words[:2000],
                error=error[:2000], next_try_at=None)
        result.failed += 1
        if address_refused and code is not None and code >= 500:
            with transaction.atomic():
                subscriber = Subscriber.objects.select_for_update().get(pk=delivery.subscriber_id)
                if subscriber.status == Subscriber.Status.CONFIRMED:
                    subscriber_move(subscriber, Subscriber.Status.BOUNCING,
                                    why=f"the server refused the address: {error}"[:500])
        return
    _finish(delivery, claim, EmailDelivery.Status.PENDING, smtp_code=code, smtp_answer=words[:2000],
            error=error[:2000], next_try_at=retry_at(now=now, first_retry=FIRST_RETRY, attempts=attempts))
    result.deferred += 1


def email_deliveries_send_all(*, publication_id: int | None = None, now: dt.datetime | None = None) -> BatchResult:
    """Send every due delivery now, batch after batch, in this process (the command, the demo)."""
    total = BatchResult()
    publications = [publication_id] if publication_id else list(
        EmailDelivery.objects.filter(claimable(now or timezone.now())).order_by("publication_id")
        .values_list("publication_id", flat=True).distinct())
    for publication in publications:
        while True:
            batch = email_batch_send(publication_id=publication, now=now, queue_next=False)
            if batch.held:
                return batch
            for name in ("claimed", "sent", "deferred", "failed", "skipped"):
                setattr(total, name, getattr(total, name) + getattr(batch, name))
            if not batch.claimed or not batch.more:
                break
    return total


def email_delivery_retry(*, delivery: EmailDelivery) -> bool:
    """An editor's retry of a failed delivery: a fresh set of tries, now."""
    return failed_retry(delivery=delivery, task=BATCH_TASK, argument=delivery.publication_id,
                        task_name=f"email-{delivery.publication_id}")
