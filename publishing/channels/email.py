"""The email edition: readers subscribe (double opt-in), and each newly published day is mailed to them.

Subscribing makes a `pending` Subscriber and mails a signed, expiring confirmation link (the link
carries the chosen categories and the corrections choice; following it applies them, so subscribing
again is also how a reader changes them). Every mail carries a one-click unsubscribe link and the
`List-Unsubscribe` / `List-Unsubscribe-Post` headers (RFC 8058).

Sending. When a version goes live, `email_edition_prepare` makes one EmailDelivery per receiving
subscriber (a unique constraint: once per subscriber and version, whatever repeats), `skipped` at once
for a reader whose categories the day does not touch. django-q2 tasks then send the pending rows in
batches (`email_batch_send`):

1. claim up to DIGEST_EMAIL_BATCH_SIZE rows with one conditional update: pending rows that are due,
   and rows still `sending` whose claim's lease ran out (their worker died); the update stamps the
   rows with this claim's id and a lease longer than a task may live (Q_TIMEOUT + a minute), so no
   other worker touches them meanwhile;
2. render the day once per version and choice of categories (`edition_for`); per subscriber only the
   address and the unsubscribe link are put in;
3. send the claimed rows one by one over one SMTP connection, and mark each row `sent` in its own
   autocommitted update the moment the server has accepted its message;
4. a refusal is recorded with the server's code and words: 5xx fails the row (and a refused address
   makes the subscriber `bouncing`), 4xx or a lost connection puts it back to `pending` with a
   doubling wait (a django-q2 Schedule runs the batch again then), until MAX_ATTEMPTS;
5. if due rows remain, the next batch is queued as a new task. A version starts as many such chains
   of batches as there are workers (Q_WORKERS), so a large edition is sent by all of them at once.

The one window left: a worker that dies after the server accepted a message but before the row's
`sent` update committed (microseconds, not the whole batch) leaves the row claimed; when its lease
runs out it is sent again. We chose that over marking rows sent before sending, which would lose the
mail of anyone in flight when a worker dies: a reader may, rarely, get a day twice, but nobody is
skipped. The Message-ID is the same on every try (`<edition-P-S@host>`), so mail systems that drop
duplicates by Message-ID drop that one.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import smtplib
import textwrap
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from publishing.models import DigestDay, EmailDelivery, Publication, PublishedPaper, Subscriber
from publishing.posts.rendering import render_markdown_safely
from publishing.site_links import site_url

logger = logging.getLogger(__name__)

BATCH_TASK = "publishing.tasks.email_batch_task"
MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(minutes=5)
CONFIRMATION_SALT = "publishing.email.confirm"
NO_PAPER_IN_CATEGORIES = "no paper of the day is in the subscriber's categories"


class SubscriptionError(Exception):
    """A subscription request or link that cannot be acted on; the message says why, for the reader."""


def lease() -> dt.timedelta:
    """A claim outlives any task that holds it: django-q2 kills a task after Q_TIMEOUT."""
    return dt.timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)


# --- Subscribers -------------------------------------------------------------------------


def _subscriber_move(subscriber: Subscriber, to: str, *, why: str = "", now: dt.datetime | None = None) -> None:
    if to not in Subscriber.TRANSITIONS[subscriber.status]:
        raise SubscriptionError(f"a subscriber cannot go from {subscriber.status} to {to}")
    now = now or timezone.now()
    subscriber.status, subscriber.status_reason = to, why
    if to == Subscriber.Status.CONFIRMED:
        subscriber.confirmed_at = now
    elif to == Subscriber.Status.UNSUBSCRIBED:
        subscriber.unsubscribed_at = now


def categories_text(categories) -> str:
    """The chosen categories as Subscriber.categories_text; only the digest's own (DIGEST_CATEGORIES)."""
    chosen = [category for category in settings.DIGEST_CATEGORIES if category in set(categories or [])]
    unknown = set(categories or []) - set(chosen)
    if unknown:
        raise SubscriptionError(f"not categories of this digest: {', '.join(sorted(unknown))}")
    return f" {' '.join(chosen)} " if chosen else ""


def normalised_email(email: str) -> str:
    """The address as stored: lower case, its domain in ASCII (IDNA), so one mailbox is one subscriber."""
    email = (email or "").strip()
    try:
        validate_email(email)
        local, _, domain = email.rpartition("@")
        domain = domain.encode("idna").decode("ascii")
    except (ValidationError, UnicodeError):
        raise SubscriptionError("not an email address") from None
    return f"{local}@{domain}".lower()


def mailbox_key(email: str) -> str:
    """One key per mailbox for rate limits: the stored form without a `+tag` (ana+1@ and ana+2@ are one inbox)."""
    local, _, domain = normalised_email(email).rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


@dataclass(frozen=True)
class Subscribed:
    subscriber: Subscriber
    confirmation_url: str


def subscriber_subscribe(*, email: str, categories=(), wants_corrections: bool = False) -> Subscribed:
    """A reader asks for the email edition: make (or find) the subscriber and mail the confirmation link.

    Whether the address was known is not part of the answer: the caller shows every reader the same.
    Nothing of an existing subscriber changes until the link is followed.
    """
    email = normalised_email(email)
    chosen = categories_text(categories)
    with transaction.atomic():
        subscriber = Subscriber.objects.filter(email=email).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(email=email, unsubscribe_token=secrets.token_urlsafe(32))
            except IntegrityError:  # the same address, subscribing at the same moment
                subscriber = Subscriber.objects.get(email=email)
    token = signing.dumps({"s": subscriber.pk, "e": email, "c": chosen, "r": bool(wants_corrections),
                           "t": timezone.now().isoformat()}, salt=CONFIRMATION_SALT, compress=True)
    url = site_url("public:subscribe_confirm", token)
    context = {"site_title": settings.DIGEST_SITE_TITLE, "url": url, "hours": settings.DIGEST_EMAIL_CONFIRM_HOURS,
               "categories": chosen.split(), "wants_corrections": wants_corrections,
               "already": subscriber.status == Subscriber.Status.CONFIRMED}
    message = EmailMultiAlternatives(
        f"请确认订阅 {settings.DIGEST_SITE_TITLE}",
        render_to_string("publishing/email/confirm.txt", context),
        settings.DEFAULT_FROM_EMAIL, [email],
    )
    message.send()
    return Subscribed(subscriber=subscriber, confirmation_url=url)


@dataclass(frozen=True)
class Confirmation:
    subscriber_id: int
    email: str
    categories_text: str
    wants_corrections: bool
    issued_at: dt.datetime

    @property
    def categories(self) -> list[str]:
        return self.categories_text.split()


def confirmation_read(token: str) -> Confirmation:
    """What a confirmation link asks for; SubscriptionError if it is forged, broken or expired."""
    try:
        value = signing.loads(token, salt=CONFIRMATION_SALT, max_age=dt.timedelta(hours=settings.DIGEST_EMAIL_CONFIRM_HOURS))
    except signing.SignatureExpired:
        raise SubscriptionError(
            f"此确认链接已过期（有效期 {settings.DIGEST_EMAIL_CONFIRM_HOURS} 小时），请重新订阅以获取新的链接。") from None
    except signing.BadSignature:
        raise SubscriptionError("此确认链接无效（可能不完整或被改动），请检查邮件中的链接，或重新订阅。") from None
    try:
        issued_at = dt.datetime.fromisoformat(value["t"])
    except (KeyError, TypeError, ValueError):  # a link from before links were dated
        raise SubscriptionError("此确认链接已失效，请重新订阅以获取新的链接。") from None
    return Confirmation(subscriber_id=value["s"], email=value["e"], categories_text=value["c"],
                        wants_corrections=value["r"], issued_at=issued_at)


@transaction.atomic
def subscriber_confirm(*, token: str) -> Subscriber:
    """Follow a confirmation link: the subscriber is confirmed, with the categories and choice the link carries."""
    confirmation = confirmation_read(token)
    subscriber = Subscriber.objects.select_for_update().filter(
        pk=confirmation.subscriber_id, email=confirmation.email).first()
    if subscriber is None:
        raise SubscriptionError("此确认链接对应的订阅已不存在，请重新订阅。")
    # Used once, and never older than what the reader did since: a link mailed before an unsubscribe
    # cannot subscribe again, and an older link cannot bring back older choices.
    used = subscriber.confirmed_link_issued_at
    if (used and confirmation.issued_at <= used) or (
            subscriber.unsubscribed_at and confirmation.issued_at < subscriber.unsubscribed_at):
        raise SubscriptionError("此确认链接已使用过，或已被之后的操作取代。如需订阅或更改设置，请重新订阅以获取新的链接。")
    _subscriber_move(subscriber, Subscriber.Status.CONFIRMED, why="confirmation link followed")
    subscriber.categories_text = confirmation.categories_text
    subscriber.wants_corrections = confirmation.wants_corrections
    subscriber.confirmed_link_issued_at = confirmation.issued_at
    subscriber.save()
    return subscriber


def subscriber_by_unsubscribe_token(token: str) -> Subscriber | None:
    return Subscriber.objects.filter(unsubscribe_token=token).first() if token else None


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber, why: str = "unsubscribe link") -> Subscriber:
    """No more mail to this address (done already: nothing changes). Unsent deliveries are skipped when their turn comes."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        _subscriber_move(subscriber, Subscriber.Status.UNSUBSCRIBED, why=why)
        subscriber.save()
    return subscriber


# --- The edition: rendered once per version and choice of categories ---------------------------

# Lines of a mail must stay under 998 bytes (RFC 5322); longer ones make Django encode the whole part
# as quoted-printable, three times the size for Chinese and slow to build. Kept short, the parts go
# out as 8bit text, and a subscriber's own bits can be put into the built message's bytes.
_HTML_LINE_BYTES = 800
_TEXT_WIDTH = 40  # characters: 80 columns of Chinese


def _wrapped(text: str) -> str:
    """Plain text wrapped to _TEXT_WIDTH characters a line (paragraphs and line breaks kept)."""
    return "\n".join(
        "\n".join(textwrap.wrap(line, width=_TEXT_WIDTH, break_on_hyphens=False)) or ""
        for line in text.replace("\r", "").split("\n"))


def _short_html_lines(html: str) -> str:
    """Break each HTML line longer than _HTML_LINE_BYTES with an empty comment around a line break
    (`<!--` newline `-->`), placed outside tags and character references, so nothing shows."""
    lines = []
    for line in html.split("\n"):
        while len(line.encode()) > _HTML_LINE_BYTES:
            cut = _safe_cut(line)
            if cut is None:
                break
            lines.append(line[:cut] + "<!--")
            line = "-->" + line[cut:]
        lines.append(line)
    return "\n".join(lines)


def _safe_cut(line: str) -> int | None:
    """The last index before _HTML_LINE_BYTES (less the comment's own bytes) outside a tag or reference."""
    size, in_tag, in_reference, best = 0, False, False, None
    for index, char in enumerate(line):
        if not in_tag and not in_reference and index > 3:
            best = index
        size += len(char.encode())
        if size > _HTML_LINE_BYTES - 8:
            break
        if char == "<":
            in_tag = True
        elif char == ">":
            in_tag = False
        elif char == "&" and not in_tag:
            in_reference = True
        elif char == ";" and in_reference:
            in_reference = False
    return best


@dataclass(frozen=True)
class EditionPaper:
    arxiv_id: str
    title: str
    title_zh: str
    authors: str
    abstract_html: str
    # The plain text part's forms, wrapped to short lines.
    title_text: str
    title_zh_text: str
    authors_text: str
    abstract_text: str
    categories: frozenset
    url: str


class Edition:
    """A publication as mail: subject, and the HTML and text bodies for each choice of categories,
    rendered once with a placeholder that `message_for` replaces by a subscriber's unsubscribe link."""

    def __init__(self, publication: Publication) -> None:
        day = publication.day
        self.publication_id = publication.pk
        self.correction = publication.version > 1
        self.date = day.date
        self.version = publication.version
        self.correction_note = _wrapped(" ".join(publication.correction_note.split()))
        self.subject = f"{settings.DIGEST_SITE_TITLE} · {day.date:%Y-%m-%d}" + (
            f"（更正：第 {publication.version} 版）" if self.correction else "")
        self.day_url = site_url("public:day", day.date)
        self.papers = [
            EditionPaper(
                arxiv_id=row.arxiv_id, title=" ".join(row.title.split()), title_zh=" ".join(row.title_zh.split()),
                authors=" ".join(row.authors_text.split()), abstract_html=render_markdown_safely(row.abstract_zh),
                title_text=_wrapped(" ".join(row.title.split())), title_zh_text=_wrapped(" ".join(row.title_zh.split())),
                authors_text=_wrapped(" ".join(row.authors_text.split())),
                abstract_text=_wrapped(row.abstract_zh.strip()), categories=frozenset(row.categories),
                url=site_url("public:paper", row.arxiv_id),
            )
            for row in PublishedPaper.objects.filter(publication=publication).order_by("position")
        ]
        self.categories = frozenset().union(*(paper.categories for paper in self.papers))
        self.domain = urlsplit(settings.DIGEST_SITE_URL).hostname or "localhost"
        # Random per edition, so no text of a paper can contain it and be replaced.
        self.placeholder = f"UNSUBSCRIBE-{secrets.token_hex(16)}"
        self._to_mark = f"to-{secrets.token_hex(8)}@example.invalid".encode()
        self._id_mark = f"<id-{secrets.token_hex(8)}@example.invalid>".encode()
        self.edition_from = settings.DEFAULT_FROM_EMAIL
        self._bodies: dict[frozenset, tuple[str, str] | None] = {}
        self._built: dict[frozenset, bytes | None] = {}

    def papers_for(self, categories: frozenset) -> list[EditionPaper]:
        if not categories:
            return self.papers
        return [paper for paper in self.papers if paper.categories & categories]

    def bodies_for(self, categories: frozenset) -> tuple[str, str] | None:
        """(text, html) for readers of these categories (empty: all); None when the day has none of theirs."""
        if categories not in self._bodies:
            papers = self.papers_for(categories)
            if not papers:
                self._bodies[categories] = None
            else:
                context = {"edition": self, "papers": papers, "unsubscribe_url": self.placeholder,
                           "chosen": sorted(categories), "site_title": settings.DIGEST_SITE_TITLE}
                self._bodies[categories] = (
                    render_to_string("publishing/email/edition.txt", context),
                    _short_html_lines(render_to_string("publishing/email/edition.html", context)))
        return self._bodies[categories]

    def message_for(self, *, email: str, subscriber_id: int, categories_text: str, unsubscribe_token: str,
                    connection=None) -> EmailMultiAlternatives | None:
        """The subscriber's message: the choice's message, built once, with their address, Message-ID and
        unsubscribe link put into its bytes. None: the day has no paper in their categories."""
        categories = frozenset(categories_text.split())
        if self.bodies_for(categories) is None:
            return None
        unsubscribe = site_url("public:unsubscribe", unsubscribe_token)
        message_id = f"<edition-{self.publication_id}-{subscriber_id}@{self.domain}>"
        built = self._built_for(categories)
        if built is None:  # the bodies would not go as 8bit text: Django builds this one whole
            return self._message(email, message_id, unsubscribe, categories, connection)
        address = sanitize_address(email, settings.DEFAULT_CHARSET).encode()
        content = (built.replace(self._to_mark, address).replace(self._id_mark, message_id.encode())
                   .replace(self.placeholder.encode(), unsubscribe.encode()))
        return BuiltMessage(content, self.subject, self.edition_from, email, connection=connection)

    def _message(self, email: str, message_id: str, unsubscribe: str, categories: frozenset,
                 connection=None) -> EmailMultiAlternatives:
        text, html = (body.replace(self.placeholder, unsubscribe) for body in self.bodies_for(categories))
        message = EmailMultiAlternatives(self.subject, text, self.edition_from, [email], connection=connection,
                                         headers={
                                             "List-Unsubscribe": f"<{unsubscribe}>",
                                             "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                                             # The same on every try: see the module's note on the one window.
                                             "Message-ID": message_id,
                                         })
        message.attach_alternative(html, "text/html")
        return message

    def _built_for(self, categories: frozenset) -> bytes | None:
        """The choice's whole message as bytes, with marks where a subscriber's bits go; None if a part
        would be encoded (quoted-printable or base64), which would hide the marks."""
        if categories not in self._built:
            message = self._message(self._to_mark.decode(), self._id_mark.decode(), self.placeholder, categories)
            content = message.message().as_bytes()
            in_bodies = sum(body.count(self.placeholder) for body in self.bodies_for(categories))
            marks_kept = (content.count(self.placeholder.encode()) == in_bodies + 1  # and List-Unsubscribe
                          and content.count(self._to_mark) == 1 and content.count(self._id_mark) == 1)
            self._built[categories] = content if marks_kept else None
        return self._built[categories]


class BuiltMessage(EmailMessage):
    """A message whose bytes are already built (Edition.message_for); every mail backend sends it as is."""

    def __init__(self, content: bytes, subject: str, from_email: str, to: str, connection=None) -> None:
        super().__init__(subject, "", from_email, [to], connection=connection)
        self.content = content

    def message(self):
        return _BuiltMIME(self.content)


class _BuiltMIME:
    """What mail backends ask of a message: its bytes (smtp asks for CRLF line ends) and its charset."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.content.replace(b"\n", linesep.encode()) if linesep != "\n" else self.content

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode()

    def get_charset(self):
        return None


_EDITIONS: dict[tuple, Edition] = {}


def edition_for(publication_id: int) -> Edition:
    """Publications never change, so a worker keeps the last few editions it rendered (keyed also by
    the publication's time and the site's address and title, which the mail shows)."""
    publication = Publication.objects.select_related("day").defer("markdown", "html").get(pk=publication_id)
    key = (publication.pk, publication.published_at, settings.DIGEST_SITE_URL, settings.DIGEST_SITE_TITLE)
    if key not in _EDITIONS:
        while len(_EDITIONS) >= 4:
            _EDITIONS.pop(next(iter(_EDITIONS)))
        _EDITIONS[key] = Edition(publication)
    return _EDITIONS[key]


# --- Preparing and sending -------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    pending: int
    skipped: int


def email_edition_prepare(*, publication: Publication) -> Prepared:
    """Make the deliveries of a version that went live (once: repeats make nothing) and queue the sending.

    Version 1 goes to every confirmed subscriber; a correction (version 2 and later) only to those who
    asked for corrections. A day not yet public (dated in the future) is not mailed.
    """
    if not publication.day.is_public:
        logger.info("email edition: %s is not public yet (dated in the future); not mailed", publication)
        return Prepared(0, 0)
    paper_categories = set()
    for text in PublishedPaper.objects.filter(publication=publication).values_list("categories_text", flat=True):
        paper_categories.update(text.split())
    receiving = Subscriber.objects.receiving()
    if publication.version > 1:
        receiving = receiving.filter(wants_corrections=True)
    rows = []
    for subscriber_id, chosen in receiving.values_list("id", "categories_text").iterator(chunk_size=2000):
        touched = not chosen.split() or paper_categories.intersection(chosen.split())
        rows.append(EmailDelivery(
            subscriber_id=subscriber_id, publication=publication,
            status=EmailDelivery.Status.PENDING if touched else EmailDelivery.Status.SKIPPED,
            error="" if touched else NO_PAPER_IN_CATEGORIES,
        ))
    EmailDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    pending = EmailDelivery.objects.filter(publication=publication, status=EmailDelivery.Status.PENDING).count()
    # As many chains of batches as workers could run at once (each task queues the next batch of its
    # chain); their claims never overlap.
    for _ in range(min(settings.Q_CLUSTER["workers"], math.ceil(pending / settings.DIGEST_EMAIL_BATCH_SIZE))):
        transaction.on_commit(lambda: async_task(BATCH_TASK, publication.pk, task_name=f"email-{publication.pk}"))
    made_pending = sum(row.status == EmailDelivery.Status.PENDING for row in rows)
    return Prepared(pending=made_pending, skipped=len(rows) - made_pending)


def email_editions_come_due(*, look_back_days: int = 7) -> int:
    """Mail the days published ahead of their date whose date has now come; return how many were prepared.

    Publishing such a day made no deliveries (it was not public yet); it is prepared now, once (its
    rows then exist). run_daily calls this every morning.
    """
    prepared = 0
    for publication in DigestDay.objects.published_ahead_now_public(look_back_days=look_back_days):
        if not publication.email_deliveries.exists():
            email_edition_prepare(publication=publication)
            prepared += 1
    return prepared


def _claimable(now: dt.datetime) -> Q:
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

    def __str__(self) -> str:
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
    now = now or timezone.now()
    batch_size = batch_size or settings.DIGEST_EMAIL_BATCH_SIZE
    claim = uuid.uuid4().hex
    result = BatchResult()
    candidates = list(EmailDelivery.objects.filter(_claimable(now), publication_id=publication_id)
                      .order_by("id").values_list("id", flat=True)[:batch_size])
    if candidates:
        result.claimed = EmailDelivery.objects.filter(_claimable(now), pk__in=candidates).update(
            status=EmailDelivery.Status.SENDING, claimed_by=claim, claimed_until=now + lease(),
            attempts=F("attempts") + 1, last_tried_at=now)
    if result.claimed:
        _send_claimed(publication_id, claim, result, now)
    retry_at = (EmailDelivery.objects.filter(publication_id=publication_id, status=EmailDelivery.Status.PENDING,
                                             next_try_at__gt=now).order_by("next_try_at")
                .values_list("next_try_at", flat=True).first())
    if retry_at is not None:
        Schedule.objects.get_or_create(
            name=f"email {publication_id} at {retry_at:%Y-%m-%d %H:%M:%S}",
            defaults={"func": BATCH_TASK, "args": str(publication_id), "schedule_type": Schedule.ONCE,
                      "repeats": 1, "next_run": retry_at})
    result.more = EmailDelivery.objects.filter(_claimable(now), publication_id=publication_id).exists()
    if result.more and queue_next:
        async_task(BATCH_TASK, publication_id, task_name=f"email-{publication_id}")
    return result


def _send_claimed(publication_id: int, claim: str, result: BatchResult, now: dt.datetime) -> None:
    edition = edition_for(publication_id)
    rows = (EmailDelivery.objects.filter(claimed_by=claim, status=EmailDelivery.Status.SENDING)
            .select_related("subscriber").order_by("id"))
    connection = get_connection()
    try:
        connection.open()  # one connection for the batch (send() would open and close one per message)
    except (smtplib.SMTPException, OSError):
        pass  # each message tries again, and its row records why it could not go
    try:
        for delivery in rows:
            _send_one(edition, delivery, claim, connection, result, now)
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            pass


def _finish(delivery: EmailDelivery, claim: str, **fields) -> None:
    """Record a row's outcome at once (autocommit), only while this claim still holds it."""
    moved = EmailDelivery.objects.filter(pk=delivery.pk, claimed_by=claim, status=EmailDelivery.Status.SENDING).update(
        claimed_by="", claimed_until=None, **fields)
    if moved != 1:
        logger.warning("email delivery %s: the claim was lost before its outcome was recorded", delivery.pk)


def _send_one(edition: Edition, delivery: EmailDelivery, claim: str, connection, result: BatchResult,
              now: dt.datetime) -> None:
    subscriber = delivery.subscriber
    if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        _finish(delivery, claim, status=EmailDelivery.Status.SKIPPED, error="unsubscribed before it was sent")
        result.skipped += 1
        return
    message = edition.message_for(email=subscriber.email, subscriber_id=subscriber.pk,
                                  categories_text=subscriber.categories_text,
                                  unsubscribe_token=subscriber.unsubscribe_token, connection=connection)
    if message is None:
        _finish(delivery, claim, status=EmailDelivery.Status.SKIPPED, error=NO_PAPER_IN_CATEGORIES)
        result.skipped += 1
        return
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        code, words = _refusal(exc, subscriber.email)
        if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
            connection.close()  # a lost connection: the next message opens a new one
        _record_refusal(delivery, claim, code, words, isinstance(exc, smtplib.SMTPRecipientsRefused), result, now)
        return
    _finish(delivery, claim, status=EmailDelivery.Status.SENT, sent_at=timezone.now(), smtp_code=250,
            smtp_answer="accepted", error="")
    result.sent += 1
    if subscriber.status == Subscriber.Status.BOUNCING:  # an editor's retry got through
        with transaction.atomic():
            subscriber.refresh_from_db()
            if subscriber.status == Subscriber.Status.BOUNCING:
                _subscriber_move(subscriber, Subscriber.Status.CONFIRMED, why="a mail was accepted again")
                subscriber.save(update_fields=["status", "status_reason", "confirmed_at"])


def _record_refusal(delivery: EmailDelivery, claim: str, code: int | None, words: str, address_refused: bool,
                    result: BatchResult, now: dt.datetime) -> None:
    attempts = EmailDelivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
    error = f"{code} {words}".strip() if code else words
    if (code is not None and code >= 500) or attempts >= MAX_ATTEMPTS:
        _finish(delivery, claim, status=EmailDelivery.Status.FAILED, smtp_code=code, smtp_answer=words[:2000],
                error=error[:2000], next_try_at=None)
        result.failed += 1
        if address_refused and code is not None and code >= 500:
            with transaction.atomic():
                subscriber = Subscriber.objects.select_for_update().get(pk=delivery.subscriber_id)
                if subscriber.status == Subscriber.Status.CONFIRMED:
                    _subscriber_move(subscriber, Subscriber.Status.BOUNCING, why=f"the server refused the address: {error}"[:500])
                    subscriber.save(update_fields=["status", "status_reason"])
        return
    _finish(delivery, claim, status=EmailDelivery.Status.PENDING, smtp_code=code, smtp_answer=words[:2000],
            error=error[:2000], next_try_at=now + FIRST_RETRY * 2 ** (attempts - 1))
    result.deferred += 1


def email_deliveries_send_all(*, publication_id: int | None = None, now: dt.datetime | None = None) -> BatchResult:
    """Send every due delivery now, batch after batch, in this process (the command, the demo)."""
    total = BatchResult()
    publications = [publication_id] if publication_id else list(
        EmailDelivery.objects.filter(_claimable(now or timezone.now())).order_by("publication_id")
        .values_list("publication_id", flat=True).distinct())
    for publication in publications:
        while True:
            batch = email_batch_send(publication_id=publication, now=now, queue_next=False)
            for name in ("claimed", "sent", "deferred", "failed", "skipped"):
                setattr(total, name, getattr(total, name) + getattr(batch, name))
            if not batch.claimed or not batch.more:
                break
    return total


def email_delivery_retry(*, delivery: EmailDelivery) -> bool:
    """An editor's retry of a failed delivery: a fresh set of tries, now."""
    if EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.Status.FAILED).update(
            status=EmailDelivery.Status.PENDING, attempts=0, next_try_at=None) != 1:
        return False
    transaction.on_commit(lambda: async_task(BATCH_TASK, delivery.publication_id,
                                             task_name=f"email-{delivery.publication_id}"))
    return True
