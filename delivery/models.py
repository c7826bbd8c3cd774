"""What the delivery app keeps: webhook endpoints and their deliveries, the email edition's subscribers
and theirs. Each delivery is one published version (publishing's `Publication`) to one recipient.

Endpoints and subscriptions belong to digests: an endpoint hears of its digest's publications only, and a
reader gets the editions of the digests they subscribed to (one address, one Subscriber, any digests)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digest_site.transitions import Transitions
from digests.models import Digest, home_digest_id
from publishing.models import Publication


class WebhookEndpoint(models.Model):
    """Where each newly published day is announced: a generic JSON receiver or a chat's incoming webhook."""

    class Kind(models.TextChoices):
        GENERIC = "generic", _("generic JSON")
        SLACK = "slack", _("Slack")
        FEISHU = "feishu", _("Feishu / Lark")
        DINGTALK = "dingtalk", _("DingTalk")

    # Told of this digest's publications only; the default is for code (and rows) that name none.
    digest = models.ForeignKey(Digest, verbose_name=_("digest"), on_delete=models.PROTECT,
                               related_name="webhook_endpoints", default=home_digest_id)
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GENERIC)
    # Signs each body (HMAC-SHA256), so the receiver can tell it came from this digest.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One announcement of one published version to one endpoint, with every try's answer.

    A try claims the row with a conditional update and a lease (`claimed_until`); a row claimed by a
    sender that died is claimed again once its lease has run out. See delivery.webhooks.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    # SENDING → SENDING: claimed again after the lease of a sender that died ran out;
    # SENDING → PENDING: a try that failed, tried again after a doubling wait (until MAX_ATTEMPTS);
    # FAILED → PENDING: an editor's retry.
    TRANSITIONS = Transitions(field="status", owners=("delivery.webhooks", "delivery.retries"), table={
        Status.PENDING: {Status.SENDING},
        Status.SENDING: {Status.SENDING, Status.DELIVERED, Status.PENDING, Status.FAILED},
        Status.FAILED: {Status.PENDING},
        Status.DELIVERED: set(),
    })

    endpoint = models.ForeignKey(WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE,
                                 related_name="deliveries")
    publication = models.ForeignKey(Publication, verbose_name=_("publication"), on_delete=models.CASCADE,
                                    related_name="webhook_deliveries")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Which try holds the row, until when; a claim outlives the task that made it (see delivery.retries.lease).
    claimed_by = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    response_status = models.PositiveIntegerField(_("answer status"), null=True, blank=True)
    response_body = models.TextField(_("answer"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_tried_at = models.DateTimeField(_("last tried"), null=True, blank=True)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A repeated publish or signal never announces the same version twice to one endpoint.
            models.UniqueConstraint(fields=["endpoint", "publication"], name="webhook_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.publication} → {self.endpoint}"


class SubscriberQuerySet(models.QuerySet):
    def receiving(self, digest: Digest | int | None = None) -> "SubscriberQuerySet":
        """Who gets each newly published day (of `digest`, if named): confirmed addresses (not unsubscribed,
        not bouncing) subscribed to it."""
        receiving = self.filter(status=Subscriber.Status.CONFIRMED)
        return receiving if digest is None else receiving.filter(subscriptions__digest=digest)


class Subscriber(models.Model):
    """A reader of the email edition: an address, the digests subscribed to (`Subscription`), the categories
    chosen (none: all; they filter every digest's edition), and whether corrections go to them.

    Double opt-in: a subscriber is `pending` until the signed link mailed to the address is followed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        BOUNCING = "bouncing", _("bouncing")

    # The only moves a subscriber makes, made by delivery.subscribers and delivery.sending. A confirmation link
    # followed again (new preferences) keeps a subscriber confirmed; a server's permanent refusal of
    # the address makes it bouncing, and a later mail it accepts (an editor's retry) confirmed again.
    TRANSITIONS = Transitions(field="status", owners=("delivery.subscribers", "delivery.sending"), table={
        Status.PENDING: {Status.CONFIRMED, Status.UNSUBSCRIBED},
        Status.CONFIRMED: {Status.CONFIRMED, Status.UNSUBSCRIBED, Status.BOUNCING},
        Status.UNSUBSCRIBED: {Status.CONFIRMED},
        Status.BOUNCING: {Status.CONFIRMED, Status.UNSUBSCRIBED},
    })

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    # " cs.SD eess.AS " (spaces on both sides, as PublishedPaper.categories_text); blank: every category.
    categories_text = models.CharField(_("categories"), max_length=500, blank=True)
    wants_corrections = models.BooleanField(_("also corrections"), default=False)
    # In the unsubscribe link of every mail; random, so the link names no one and cannot be guessed.
    unsubscribe_token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("subscribed"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # When the confirmation link last followed was mailed: a link mailed at or before it (the same
    # link again, or an older one) is refused, so a link is used once and never undoes newer choices.
    confirmed_link_issued_at = models.DateTimeField(_("confirmation link mailed at"), null=True, blank=True,
                                                    editable=False)
    status_reason = models.TextField(_("why"), blank=True)
    digests = models.ManyToManyField(Digest, through="Subscription", related_name="subscribers",
                                     verbose_name=_("digests"))

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.email

    @property
    def categories(self) -> list[str]:
        return self.categories_text.split()

    @property
    def is_unsubscribed(self) -> bool:
        return self.status == self.Status.UNSUBSCRIBED


class Subscription(models.Model):
    """A reader's subscription to one digest: its editions go to them while they are confirmed.

    Following a confirmation link sets a reader's subscriptions to the digests the link names; the
    unsubscribe link of a digest's mail removes that digest's (delivery.subscribers)."""

    subscriber = models.ForeignKey(Subscriber, verbose_name=_("subscriber"), on_delete=models.CASCADE,
                                   related_name="subscriptions")
    digest = models.ForeignKey(Digest, verbose_name=_("digest"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("subscribed"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["digest", "subscriber"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "digest"], name="subscription_once")]

    def __str__(self) -> str:
        return f"{self.subscriber} → {self.digest}"


class EmailDelivery(models.Model):
    """One day version (publication) mailed to one subscriber: made once, sent at most once by design.

    Sending claims rows with a conditional update and a lease (`claimed_until`); a row claimed by a
    worker that died is claimed again once its lease has run out. See delivery.sending.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    # SENDING → SENDING: claimed again after the lease of a worker that died ran out.
    # SENDING → PENDING: a temporary refusal (4xx) or a lost connection, tried again later.
    TRANSITIONS = Transitions(field="status", owners=("delivery.edition", "delivery.sending", "delivery.retries"), table={
        Status.PENDING: {Status.SENDING, Status.SKIPPED},
        Status.SENDING: {Status.SENDING, Status.SENT, Status.PENDING, Status.FAILED, Status.SKIPPED},
        Status.FAILED: {Status.PENDING},
        Status.SENT: set(),
        Status.SKIPPED: set(),
    })

    subscriber = models.ForeignKey(Subscriber, verbose_name=_("subscriber"), on_delete=models.CASCADE,
                                   related_name="deliveries")
    publication = models.ForeignKey(Publication, verbose_name=_("publication"), on_delete=models.CASCADE,
                                    related_name="email_deliveries")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Which claim holds the row, until when; a claim outlives the task that made it (see delivery.retries.lease).
    claimed_by = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    smtp_code = models.PositiveIntegerField(_("SMTP code"), null=True, blank=True)
    smtp_answer = models.TextField(_("SMTP answer"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_tried_at = models.DateTimeField(_("last tried"), null=True, blank=True)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A repeated publish, signal or retry never mails the same version twice to one subscriber.
            models.UniqueConstraint(fields=["subscriber", "publication"], name="email_delivery_once"),
        ]
        indexes = [models.Index(fields=["publication", "status"], name="email_delivery_to_send")]

    def __str__(self) -> str:
        return f"{self.publication} → {self.subscriber}"


class DeliverySwitch(models.Model):
    """Which instance of the site may mail readers and call webhooks from this database: the latest row rules.

    A database restored elsewhere (staging, a laptop) carries the subscribers, the endpoints and the
    schedules; until an operator switches delivery on there (`enable_delivery`), its mail and webhook
    deliveries stay pending. Rows are only added, so the list is the history of who switched when
    (delivery.switch writes them).
    """

    # Blank: delivery switched off, from every instance.
    instance = models.CharField(_("instance"), max_length=200, blank=True)
    switched_at = models.DateTimeField(_("switched at"), default=timezone.now, editable=False)
    # "shell:ana", or "migrate (new installation)".
    switched_by = models.CharField(_("switched by"), max_length=150)

    class Meta:
        verbose_name = _("delivery switch")
        verbose_name_plural = _("delivery switches")
        # By id, not time: machines' clocks may disagree, the database's sequence does not.
        ordering = ["-id"]
        get_latest_by = "id"

    def __str__(self) -> str:
        return f"on for {self.instance}" if self.instance else "off"
