"""Telling the team: an incident opened, or resolved, by mail to DIGEST_ALERT_EMAILS and / or a post to
the chat webhook DIGEST_ALERT_WEBHOOK_URL (Slack, Feishu / Lark, DingTalk or generic JSON).

The message is made by pure functions over an `AlertMessage` (the chat's body and the post itself are
digest_site/chat.py's, shared with the newsroom's notifications); `alert_send` tries every configured
channel and returns what failed, one line per channel. It never raises: an alert that cannot go out
must not stop the evaluation (or the command) that found the problem; the caller records the failure.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from digest_site.chat import chat_post, chat_text_body, webhook_kind

logger = logging.getLogger(__name__)

OPENED = "opened"
RESOLVED = "resolved"
KIND_LABELS = {
    "broker": "task broker",
    "workers": "workers' heartbeat",
    "morning_run": "morning run",
    "drafts": "machine drafts",
    "scheduled_publications": "scheduled publication",
    "email_deliveries": "email deliveries",
    "webhook_deliveries": "webhook deliveries",
}


@dataclass(frozen=True)
class AlertMessage:
    event: str  # OPENED or RESOLVED
    incident_id: int
    kind: str
    subject: str
    detail: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None = None

    @property
    def title(self) -> str:
        what = f"{KIND_LABELS.get(self.kind, self.kind)} {self.subject}".strip()
        state = "FAILING" if self.event == OPENED else "RECOVERED"
        return f"[{settings.DIGEST_SITE_TITLE}] {state}: {what}"

    @property
    def link(self) -> str:
        try:
            path = reverse("admin:monitoring_incident_change", args=[self.incident_id])
        except NoReverseMatch:  # an admin without the incidents' page
            return ""
        return settings.DIGEST_SITE_URL.rstrip("/") + path

    @property
    def text(self) -> str:
        if self.event == OPENED:
            lines = [self.title, "", self.detail, "", f"Found at {_local(self.opened_at)}."]
        else:
            lines = [self.title, "", f"No longer found failing at {_local(self.resolved_at or self.opened_at)} "
                     f"(failing since {_local(self.opened_at)}).", "", f"Last seen as: {self.detail}"]
        if self.link:
            lines += ["", f"Incident: {self.link}"]
        return "\n".join(lines)


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def webhook_body(message: AlertMessage, kind: str) -> dict:
    if kind == "generic":
        return {"event": f"incident.{message.event}", "incident": message.incident_id, "kind": message.kind,
                "subject": message.subject, "title": message.title, "detail": message.detail,
                "opened_at": message.opened_at.isoformat(),
                "resolved_at": message.resolved_at.isoformat() if message.resolved_at else None,
                "url": message.link or None}
    return chat_text_body(message.text, kind)


def _mail(message: AlertMessage) -> str:
    recipients = [email.utils.formataddr(address) for address in settings.DIGEST_ALERT_EMAILS]
    try:
        EmailMessage(subject=message.title, body=message.text, from_email=settings.DEFAULT_FROM_EMAIL,
                     to=recipients).send()
    except Exception as exc:  # SMTP refusals, a server that is down, a bad backend: all reported, none raised
        return f"email: {exc.__class__.__name__}: {exc}"
    return ""


def _post(message: AlertMessage, client: httpx.Client | None) -> str:
    url = settings.DIGEST_ALERT_WEBHOOK_URL
    body = webhook_body(message, webhook_kind(url, settings.DIGEST_ALERT_WEBHOOK_KIND))
    return chat_post(url, body, user_agent="arxiv-digest alerts", client=client)


def alert_channels() -> list[str]:
    return [name for name, configured in (("email", settings.DIGEST_ALERT_EMAILS),
                                          ("webhook", settings.DIGEST_ALERT_WEBHOOK_URL)) if configured]


def alert_send(message: AlertMessage, *, client: httpx.Client | None = None) -> list[str]:
    """Send to every configured channel; the failures, one line each ([]: every channel took it)."""
    failures = []
    for channel in alert_channels():
        try:
            failure = _mail(message) if channel == "email" else _post(message, client)
        except Exception as exc:  # composing the message failed: still never into the caller
            failure = f"{channel}: {exc.__class__.__name__}: {exc}"
        if failure:
            logger.error("alert %s of incident %s (%s) not sent: %s", message.event, message.incident_id,
                         message.title, failure)
            failures.append(failure)
    return failures
