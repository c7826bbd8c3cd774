"""Announcing each newly published day to webhook endpoints (generic JSON, Slack, Feishu/Lark, DingTalk).

Each (endpoint, version) is one WebhookDelivery row, made once (a unique constraint), so a repeated
publish never announces twice. A django-q2 task sends it; a send claims its row with a conditional
update, and a failed try is retried with a doubling wait up to MAX_ATTEMPTS, each answer recorded.
Bodies are signed: `X-Digest-Signature-256: sha256=<HMAC-SHA256 of the body with the secret>`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from publishing.models import DigestDay, Publication, PublishedPaper, WebhookDelivery, WebhookEndpoint
from publishing.site_links import site_url

MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(minutes=1)
TIMEOUT_SECONDS = 10
DELIVERY_TASK = "publishing.tasks.webhook_delivery_task"
SIGNATURE_HEADER = "X-Digest-Signature-256"


def webhook_payload(*, endpoint: WebhookEndpoint, publication: Publication) -> dict:
    """The body for the endpoint's kind: the day's title, link and its papers' titles."""
    date = publication.day.date
    title = f"arXiv Daily – {date:%Y-%m-%d}" + (f"（第 {publication.version} 版）" if publication.version > 1 else "")
    url = site_url("public:day", date)
    papers = list(PublishedPaper.objects.filter(publication=publication).order_by("position")
                  .values("arxiv_id", "title", "title_zh"))
    if endpoint.kind == WebhookEndpoint.Kind.GENERIC:
        return {"event": "day.published", "date": f"{date:%Y-%m-%d}", "version": publication.version, "title": title,
                "url": url, "papers": [{**paper, "url": site_url("public:paper", paper["arxiv_id"])} for paper in papers]}
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
    """Make a delivery per active endpoint for this version (once) and hand them to the workers.

    A day not yet public (dated in the future) is not announced: its link would not open yet;
    `webhooks_come_due` announces it when its date comes.
    """
    if not publication.day.is_public:
        return 0
    made = 0
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(endpoint=endpoint, publication=publication)
        except IntegrityError:  # announced already
            continue
        made += 1
        transaction.on_commit(lambda pk=delivery.pk: async_task(DELIVERY_TASK, pk, task_name=f"webhook-{pk}"))
    return made


def webhook_delivery_send(*, delivery_id: int, client: httpx.Client | None = None) -> WebhookDelivery | None:
    """One try: claim, post the signed body, record the answer; schedule the next try on failure."""
    now = timezone.now()
    if WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.SENDING, last_tried_at=now) != 1:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "publication__day").get(pk=delivery_id)
    body = json.dumps(webhook_payload(endpoint=delivery.endpoint, publication=delivery.publication),
                      ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "arxiv-digest webhooks"}
    if delivery.endpoint.secret:
        headers[SIGNATURE_HEADER] = signature(delivery.endpoint.secret, body)
    delivery.attempts += 1
    try:
        with (client or httpx.Client(timeout=TIMEOUT_SECONDS)) as http:
            answer = http.post(delivery.endpoint.url, content=body, headers=headers)
        delivery.response_status, delivery.response_body = answer.status_code, answer.text[:2000]
        delivery.error = "" if answer.is_success else f"HTTP {answer.status_code}"
    except httpx.HTTPError as exc:
        delivery.response_status, delivery.response_body = None, ""
        delivery.error = f"{exc.__class__.__name__}: {exc}"
    if not delivery.error:
        delivery.status, delivery.next_try_at = WebhookDelivery.Status.DELIVERED, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_try_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.next_try_at = now + FIRST_RETRY * 2 ** (delivery.attempts - 1)
        Schedule.objects.create(name=f"webhook {delivery.pk} try {delivery.attempts + 1}", func=DELIVERY_TASK,
                                args=str(delivery.pk), schedule_type=Schedule.ONCE, repeats=1,
                                next_run=delivery.next_try_at)
    delivery.save(update_fields=["status", "attempts", "response_status", "response_body", "error", "next_try_at"])
    return delivery


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> None:
    """An editor's retry of a failed delivery: a fresh set of tries, now."""
    if WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.FAILED).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_try_at=None) == 1:
        transaction.on_commit(lambda: async_task(DELIVERY_TASK, delivery.pk, task_name=f"webhook-{delivery.pk}"))


def webhooks_come_due(*, look_back_days: int = 7) -> int:
    """Announce the days published ahead of their date whose date has now come (once: their deliveries
    then exist); return how many. run_daily calls it every morning."""
    return sum(bool(publication_announce(publication=publication))
               for publication in DigestDay.objects.published_ahead_now_public(look_back_days=look_back_days)
               if not publication.webhook_deliveries.exists())
