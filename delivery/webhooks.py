"""Announcing each newly published day to webhook endpoints (generic JSON, Slack, Feishu/Lark, DingTalk).

An endpoint belongs to one digest and is told of that digest's publications only; the body names the
digest and links to its pages. Each (endpoint, version) is one WebhookDelivery row, made once (a unique constraint), so a repeated
publish never announces twice. A django-q2 task sends it; a try claims its row with a conditional
update and a lease longer than a task may live (delivery.retries.lease), so no other worker posts it
meanwhile, and a row whose sender died (its worker or machine killed) is claimed again, by the next
task or delivery's sweep, once the lease has run out. A failed try is retried with a doubling wait up
to MAX_ATTEMPTS tries (a try whose sender died counts), each answer recorded.
Bodies are signed: `X-Digest-Signature-256: sha256=<HMAC-SHA256 of the body with the secret>`.

As with mail, a sender that dies after the endpoint accepted the body but before the row's outcome
was recorded leaves the row to be posted again after its lease: an endpoint may, rarely, get an
announcement twice (with the same body), but none is lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid

import httpx
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from delivery.models import WebhookDelivery, WebhookEndpoint
from delivery.outbound import AddressRefused, answer_excerpt, answer_start, outbound_target
from delivery.retries import WEBHOOK_TASK, failed_retry, lease, publications_come_due, retry_at, try_again_at
from delivery.switch import delivery_hold
from publishing.models import Publication, PublishedPaper
from publishing.site_links import digest_site_root

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(minutes=1)
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Digest-Signature-256"


def webhook_payload(*, endpoint: WebhookEndpoint, publication: Publication) -> dict:
    """The body for the endpoint's kind: the day's title (its digest's post title), link and its papers' titles."""
    day = publication.day
    date, digest = day.date, day.digest
    title = day.post_title + (f"（第 {publication.version} 版）" if publication.version > 1 else "")
    root = digest_site_root(digest)
    url = root + reverse("public:day", args=[date])
    papers = list(PublishedPaper.objects.filter(publication=publication).order_by("position")
                  .values("arxiv_id", "title", "title_zh"))
    if endpoint.kind == WebhookEndpoint.Kind.GENERIC:
        return {"event": "day.published", "digest": {"slug": digest.slug, "name": digest.name},
                "date": f"{date:%Y-%m-%d}", "version": publication.version, "title": title, "url": url,
                "papers": [{**paper, "url": root + reverse("public:paper", args=[paper["arxiv_id"]])}
                           for paper in papers]}
    titles = [paper["title_zh"] or paper["title"] for paper in papers]
    if endpoint.kind == WebhookEndpoint.Kind.SLACK:
        # Slack reads <…> as links and mentions (<!channel>): a paper's title must stay text.
        titles = [title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for title in titles]
    elif endpoint.kind == WebhookEndpoint.Kind.FEISHU:
        # Feishu reads <at user_id="all"> in a text message as a mention of everyone.
        titles = [title.replace("<", "＜").replace(">", "＞") for title in titles]
    text = "\n".join([f"{title}（{len(papers)} 篇）", url] + [f"· {paper_title}" for paper_title in titles])
    if endpoint.kind == WebhookEndpoint.Kind.SLACK:
        return {"text": text}
    if endpoint.kind == WebhookEndpoint.Kind.FEISHU:
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}  # DingTalk


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def publication_announce(*, publication: Publication) -> int:
    """Make a delivery per active endpoint of the version's digest (once) and hand them to the workers.

    A day not yet public (dated in the future) is not announced: its link would not open yet;
    `webhooks_come_due` announces it when its date comes.
    """
    if not publication.day.is_public:
        return 0
    made = 0
    for endpoint in WebhookEndpoint.objects.filter(active=True, digest_id=publication.day.digest_id):
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(endpoint=endpoint, publication=publication)
        except IntegrityError:  # announced already
            continue
        made += 1
        transaction.on_commit(lambda pk=delivery.pk: async_task(WEBHOOK_TASK, pk, task_name=f"webhook-{pk}"))
    return made


def claimable(now: dt.datetime) -> Q:
    """Rows a try may claim: pending, or still `sending` after their claim's lease ran out (their sender died)."""
    return Q(status=WebhookDelivery.Status.PENDING) | Q(status=WebhookDelivery.Status.SENDING, claimed_until__lt=now)


def due(now: dt.datetime) -> Q:
    """Rows to hand to the workers now: pending and due, or abandoned by a sender that died."""
    return (Q(status=WebhookDelivery.Status.PENDING) & (Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
            | Q(status=WebhookDelivery.Status.SENDING, claimed_until__lt=now))


def webhook_delivery_send(*, delivery_id: int, client: httpx.Client | None = None,
                          now: dt.datetime | None = None) -> WebhookDelivery | None:
    """One try: claim (with a lease), post the signed body, record the answer if the claim still holds;
    schedule the next try on failure. None: not sent (held on this instance, see delivery.switch;
    another try holds the row; or it is finished)."""
    if delivery_hold().held:  # a copy restored elsewhere, or delivery switched off: the row waits, pending
        return None
    now = now or timezone.now()
    claim = uuid.uuid4().hex
    claimed = WebhookDelivery.TRANSITIONS.move_rows(
        WebhookDelivery.objects.filter(claimable(now), pk=delivery_id), WebhookDelivery.Status.SENDING,
        from_states=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING],
        claimed_by=claim, claimed_until=now + lease(), attempts=F("attempts") + 1, last_tried_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "publication__day__digest").get(pk=delivery_id)
    answer = _post(delivery, client)
    if not answer["error"]:
        outcome, next_try = WebhookDelivery.Status.DELIVERED, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        outcome, next_try = WebhookDelivery.Status.FAILED, None
    else:
        outcome, next_try = WebhookDelivery.Status.PENDING, retry_at(now=now, first_retry=FIRST_RETRY,
                                                                      attempts=delivery.attempts)
    if not WebhookDelivery.TRANSITIONS.move(delivery, outcome, where={"claimed_by": claim}, claimed_by="",
                                            claimed_until=None, next_try_at=next_try, **answer):
        logger.warning("webhook delivery %s: the claim was lost before its answer was recorded", delivery.pk)
        return delivery
    if next_try is not None:
        try_again_at(task=WEBHOOK_TASK, argument=delivery.pk, at=next_try,
                     name=f"webhook {delivery.pk} try {delivery.attempts + 1}")
    return delivery


def _post(delivery: WebhookDelivery, client: httpx.Client | None) -> dict:
    """Post the signed body; the answer's fields (`error` empty: delivered)."""
    body = json.dumps(webhook_payload(endpoint=delivery.endpoint, publication=delivery.publication),
                      ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "arxiv-digest webhooks"}
    if delivery.endpoint.secret:
        headers[SIGNATURE_HEADER] = signature(delivery.endpoint.secret, body)
    try:
        # Public addresses only, and the connection pinned to the address checked (delivery.outbound).
        target = outbound_target(delivery.endpoint.url)
        with (client or httpx.Client(timeout=TIMEOUT_SECONDS)) as http:
            with http.stream("POST", target.url, content=body, headers={**headers, "Host": target.host_header},
                             extensions=target.extensions, follow_redirects=False) as answer:
                start = answer_start(answer)
    except AddressRefused as exc:
        return {"response_status": None, "response_body": "", "error": str(exc)}
    except httpx.HTTPError as exc:
        return {"response_status": None, "response_body": "", "error": f"{exc.__class__.__name__}: {exc}"}
    return {"response_status": answer.status_code, "response_body": answer_excerpt(start),
            "error": "" if answer.is_success else f"HTTP {answer.status_code}"}


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> bool:
    """An editor's retry of a failed delivery: a fresh set of tries, now."""
    return failed_retry(delivery=delivery, task=WEBHOOK_TASK, argument=delivery.pk, task_name=f"webhook-{delivery.pk}")


def webhooks_come_due(*, look_back_days: int = 7) -> int:
    """Announce the days published ahead of their date whose date has now come (once: their deliveries
    then exist); return how many. The delivery sweep calls it (delivery.schedule)."""
    return publications_come_due(
        look_back_days=look_back_days,
        done=lambda publication: publication.webhook_deliveries.exists(),
        start=lambda publication: publication_announce(publication=publication))
