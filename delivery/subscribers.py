"""The email edition's readers: subscribing (double opt-in), confirming through the signed link, unsubscribing.

Subscribing makes a `pending` Subscriber and has a worker mail a signed, expiring confirmation link
(the link carries the chosen digests, categories and corrections choice; following it applies them, so
subscribing again is also how a reader changes them: one link confirms every digest chosen, and the
reader's subscriptions become exactly those). The mail is a django-q2 task, so the reader's
request never waits for the mail server, and a server that is down is tried again by the broker.
Every mail carries a one-click unsubscribe link and the `List-Unsubscribe` / `List-Unsubscribe-Post`
headers (RFC 8058). A digest's mail's link leaves that digest (`unsubscribe_url`); a reader left with no
digest is unsubscribed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_q.tasks import async_task

from delivery.models import Subscriber, Subscription
from digests.models import Digest
from publishing.site_links import site_host, site_url

logger = logging.getLogger(__name__)

# Kept from when the email edition lived in publishing: links already mailed stay valid.
CONFIRMATION_SALT = "publishing.email.confirm"


class SubscriptionError(Exception):
    """A subscription request or link that cannot be acted on; the message says why, for the reader."""


def subscriber_move(subscriber: Subscriber, to: str, *, why: str = "", **fields) -> bool:
    """Move a subscriber (read under select_for_update) to `to`, with why and when; False if it had moved meanwhile."""
    if not Subscriber.TRANSITIONS.allows(subscriber.status, to):
        raise SubscriptionError(f"a subscriber cannot go from {subscriber.status} to {to}")
    now = timezone.now()
    if to == Subscriber.Status.CONFIRMED:
        fields["confirmed_at"] = now
    elif to == Subscriber.Status.UNSUBSCRIBED:
        fields["unsubscribed_at"] = now
    return Subscriber.TRANSITIONS.move(subscriber, to, status_reason=why, **fields)


def digests_categories(digests: Iterable[Digest]) -> list[str]:
    """The categories of these digests, each once, in the digests' order: what a reader of them may choose."""
    return list(dict.fromkeys(category for digest in digests for category in digest.categories))


def categories_text(categories, digests: Iterable[Digest] | None = None) -> str:
    """The chosen categories as Subscriber.categories_text; only the chosen digests' own (default: the first's)."""
    offered = digests_categories(digests if digests is not None else [Digest.objects.home()])
    chosen = [category for category in offered if category in set(categories or [])]
    unknown = set(categories or []) - set(chosen)
    if unknown:
        raise SubscriptionError(f"not categories of the digests chosen: {', '.join(sorted(unknown))}")
    return f" {' '.join(chosen)} " if chosen else ""


def digests_chosen(digests: Iterable[Digest | str] | None) -> list[Digest]:
    """The digests a reader chose (Digest rows or slugs), in the site's order; none named: the first digest."""
    named = list(digests or ())
    if not named:
        return [Digest.objects.home()]
    slugs = {digest.slug if isinstance(digest, Digest) else digest for digest in named}
    found = list(Digest.objects.filter(slug__in=slugs))
    unknown = slugs - {digest.slug for digest in found}
    if unknown:
        raise SubscriptionError(f"no such digest: {', '.join(sorted(unknown))}")
    return found


def unsubscribe_url(token: str, digest: Digest | None = None) -> str:
    """The link in a digest's mail that leaves that digest: the first digest's is the link every mail had
    before there were several (`/unsubscribe/<token>/`), so links mailed then still leave it; another's
    names it (`?digest=<slug>`). The same URL serves the one-click POST of RFC 8058."""
    url = site_url("public:unsubscribe", token)
    return url if digest is None or digest.is_home else f"{url}?digest={digest.slug}"


# A local part as a plain dot-atom (RFC 5322): what a quoted one must come down to.
_DOT_ATOM_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def normalised_email(email: str) -> str:
    """The address as stored: lower case, its domain in ASCII (IDNA), a quoted local part unquoted, so
    one mailbox is one subscriber.

    `"ana"@x`, `"a\\na"@x` and `ana@x` are one mailbox (RFC 5321 §4.1.2: a quoted string equal to a
    dot-atom is that dot-atom); as different strings they were different subscribers and different
    rate-limit keys. A quoted local part that is no dot-atom (spaces, a second @) is refused: no reader's
    address needs one."""
    email = (email or "").strip()
    try:
        validate_email(email)
        local, _, domain = email.rpartition("@")
        domain = domain.encode("idna").decode("ascii")
    except (ValidationError, UnicodeError):
        raise SubscriptionError("not an email address") from None
    if local.startswith('"'):
        local = re.sub(r"\\(.)", r"\1", local[1:-1])
        if not _DOT_ATOM_RE.fullmatch(local):
            raise SubscriptionError("not an email address")
    return f"{local}@{domain}".lower()


def mailbox_key(email: str) -> str:
    """One key per mailbox for rate limits: the stored form without a `+tag` (ana+1@ and ana+2@ are one inbox)."""
    local, _, domain = normalised_email(email).rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


# The worker's task that mails the link (a stable name: docs/upgrading.md).
CONFIRMATION_TASK = "delivery.tasks.confirmation_mail_task"


@dataclass(frozen=True)
class ConfirmationRequest:
    """What one subscription request asks for, as its confirmation link carries it: the task's arguments
    (no address in them, kept in the task records; no secret: the link is signed when the mail is made)."""

    subscriber_id: int
    categories_text: str
    wants_corrections: bool
    issued_at: str  # ISO 8601, when the reader asked: links older than the reader's last step are refused
    # The digests chosen; empty (a task queued before digests): the first digest.
    digest_ids: tuple[int, ...] = ()

    def url(self, email: str) -> str:
        token = signing.dumps({"s": self.subscriber_id, "e": email, "c": self.categories_text,
                               "r": self.wants_corrections, "t": self.issued_at, "d": list(self.digest_ids)},
                              salt=CONFIRMATION_SALT, compress=True)
        return site_url("public:subscribe_confirm", token)

    @property
    def task_args(self) -> tuple:
        return (self.subscriber_id, self.categories_text, self.wants_corrections, self.issued_at, list(self.digest_ids))


@dataclass(frozen=True)
class Subscribed:
    subscriber: Subscriber
    confirmation_url: str
    request: ConfirmationRequest


def subscriber_subscribe(*, email: str, categories=(), wants_corrections: bool = False,
                         digests: Iterable[Digest | str] | None = None, by_worker: bool = True) -> Subscribed:
    """A reader asks for the email edition of `digests` (Digest rows or slugs; none: the first digest):
    make (or find) the subscriber and have a worker mail one confirmation link for all of them, once
    this transaction commits (`by_worker=False`: the caller mails it,
    confirmation_mail_send(request=subscribed.request); the demo, which runs no workers).

    Whether the address was known is not part of the answer: the caller shows every reader the same.
    Nothing of an existing subscriber changes until the link is followed.
    """
    email = normalised_email(email)
    chosen_digests = digests_chosen(digests)
    chosen = categories_text(categories, chosen_digests)
    with transaction.atomic():
        subscriber = Subscriber.objects.filter(email=email).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(email=email, unsubscribe_token=secrets.token_urlsafe(32))
            except IntegrityError:  # the same address, subscribing at the same moment
                subscriber = Subscriber.objects.get(email=email)
    request = ConfirmationRequest(subscriber_id=subscriber.pk, categories_text=chosen,
                                  wants_corrections=bool(wants_corrections), issued_at=timezone.now().isoformat(),
                                  digest_ids=tuple(digest.pk for digest in chosen_digests))
    if by_worker:
        transaction.on_commit(lambda: _confirmation_mail_queue(request))
    return Subscribed(subscriber=subscriber, confirmation_url=request.url(email), request=request)


def _confirmation_mail_queue(request: ConfirmationRequest) -> None:
    try:
        async_task(CONFIRMATION_TASK, *request.task_args, task_name=f"confirm-{request.subscriber_id}")
    except Exception:
        # The broker is down. The reader sees the same page as everyone, the operator this log; the
        # subscriber is kept, and subscribing again mails again.
        logger.exception("subscriber #%s: the confirmation mail could not be queued", request.subscriber_id)


def confirmation_mail_send(*, request: ConfirmationRequest) -> bool:
    """Mail the request's confirmation link (the worker's half of subscribing); False when the subscriber
    is gone. Its Message-ID is of the site's domain (DIGEST_SITE_URL's host), not of the machine's
    name. A mail server's refusal raises: the broker tries the task again (Q_RETRY, Q_MAX_ATTEMPTS)."""
    subscriber = Subscriber.objects.filter(pk=request.subscriber_id).first()
    if subscriber is None:
        return False
    context = {"site_title": settings.DIGEST_SITE_TITLE, "url": request.url(subscriber.email),
               "hours": settings.DIGEST_EMAIL_CONFIRM_HOURS, "categories": request.categories_text.split(),
               "wants_corrections": request.wants_corrections,
               "digests": named_digests(request.digest_ids),
               "already": subscriber.status == Subscriber.Status.CONFIRMED}
    message = EmailMultiAlternatives(
        f"请确认订阅 {settings.DIGEST_SITE_TITLE}",
        render_to_string("delivery/email/confirm.txt", context),
        settings.DEFAULT_FROM_EMAIL, [subscriber.email],
        headers={"Message-ID": make_msgid("confirm", domain=site_host())},
    )
    message.send()
    return True


def digests_of(digest_ids: Iterable[int]) -> list[Digest]:
    """The digests a link or request names, in the site's order (those since removed left out); none: the first."""
    ids = list(digest_ids or ())
    return list(Digest.objects.filter(pk__in=ids)) if ids else [Digest.objects.home()]


def named_digests(digest_ids: Iterable[int]) -> list[Digest]:
    """The digests to name to a reader: none while the site has only one (its readers see nothing new)."""
    return digests_of(digest_ids) if Digest.objects.count() > 1 else []


@dataclass(frozen=True)
class Confirmation:
    subscriber_id: int
    email: str
    categories_text: str
    wants_corrections: bool
    issued_at: dt.datetime
    digest_ids: tuple[int, ...] = ()

    @property
    def categories(self) -> list[str]:
        return self.categories_text.split()

    @property
    def digests(self) -> list[Digest]:
        return named_digests(self.digest_ids)


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
                        wants_corrections=value["r"], issued_at=issued_at,
                        digest_ids=tuple(value.get("d") or ()))  # a link from before digests: the first


@transaction.atomic
def subscriber_confirm(*, token: str) -> Subscriber:
    """Follow a confirmation link: the subscriber is confirmed, with the digests, categories and choice the
    link carries (their subscriptions become the link's digests)."""
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
    subscriber_move(subscriber, Subscriber.Status.CONFIRMED, why="confirmation link followed",
                    categories_text=confirmation.categories_text, wants_corrections=confirmation.wants_corrections,
                    confirmed_link_issued_at=confirmation.issued_at)
    _subscriptions_set(subscriber, digests_of(confirmation.digest_ids))
    return subscriber


def _subscriptions_set(subscriber: Subscriber, digests: list[Digest]) -> None:
    chosen = {digest.pk for digest in digests}
    Subscription.objects.filter(subscriber=subscriber).exclude(digest__in=chosen).delete()
    Subscription.objects.bulk_create([Subscription(subscriber=subscriber, digest_id=pk) for pk in sorted(chosen)],
                                     ignore_conflicts=True)


def subscriber_by_unsubscribe_token(token: str) -> Subscriber | None:
    return Subscriber.objects.filter(unsubscribe_token=token).first() if token else None


@dataclass(frozen=True)
class Unsubscribed:
    subscriber: Subscriber
    left: Digest | None  # the digest left; None: every digest
    remaining: list[Digest]  # what the address still receives (empty: it is unsubscribed)


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber, digest: Digest | None = None,
                           why: str = "unsubscribe link") -> Unsubscribed:
    """No more mail of `digest` to this address (None: of any digest); left with no digest, the address is
    unsubscribed (done already: nothing changes). Unsent deliveries are skipped when their turn comes."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    subscriptions = Subscription.objects.filter(subscriber=subscriber)
    (subscriptions if digest is None else subscriptions.filter(digest=digest)).delete()
    remaining = list(Digest.objects.filter(pk__in=subscriptions.values("digest_id")))
    if not remaining and subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        left = "" if digest is None else f" (left {digest.slug}, the last digest)"
        subscriber_move(subscriber, Subscriber.Status.UNSUBSCRIBED, why=why + left)
    return Unsubscribed(subscriber=subscriber, left=digest, remaining=remaining)
