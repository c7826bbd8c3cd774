"""Posting to the team's chat: an incoming webhook of Slack, Feishu / Lark or DingTalk, or any receiver of
JSON (DIGEST_ALERT_WEBHOOK_URL, its body chosen by DIGEST_ALERT_WEBHOOK_KIND).

One sender for everything the team hears in its chat: monitoring's alerts and the newsroom's
notifications. Here, below every app, so both reach it without importing each other. `chat_post`
never raises: what failed comes back in one line, for the caller to record.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx

TIMEOUT_SECONDS = 10
# Hosts of the chats whose incoming webhooks take their own body (DIGEST_ALERT_WEBHOOK_KIND=auto).
CHAT_HOSTS = {"slack": ("slack.com",), "feishu": ("feishu.cn", "larksuite.com"), "dingtalk": ("dingtalk.com",)}


def webhook_kind(url: str, configured: str = "auto") -> str:
    """The body the webhook takes: as configured, or (auto) told by the address's host."""
    if configured != "auto":
        return configured
    host = (urlsplit(url).hostname or "").lower()
    for kind, domains in CHAT_HOSTS.items():
        if any(host == domain or host.endswith(f".{domain}") for domain in domains):
            return kind
    return "generic"


def chat_text_body(text: str, kind: str) -> dict:
    """A chat's body for a plain text message (`kind` slack, feishu or dingtalk; generic receivers get the
    caller's own JSON). What the text quotes stays text: no chat reads a link or a mention into it."""
    if kind == "slack":
        # Slack reads <…> as links and mentions (<!channel>).
        return {"text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": text.replace("<", "＜").replace(">", "＞")}}
    return {"msgtype": "text", "text": {"content": text}}  # DingTalk


def chat_post(url: str, body: dict, *, user_agent: str, client: httpx.Client | None = None) -> str:
    """POST `body` as JSON to `url`; "" when the chat took it, else what failed, in one line (never raises)."""
    content = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": user_agent}
    try:
        with (client or httpx.Client(timeout=TIMEOUT_SECONDS)) as http:
            answer = http.post(url, content=content, headers=headers)
    except Exception as exc:  # httpx's errors, and anything else: reported, never raised
        return f"webhook: {exc.__class__.__name__}: {exc}"
    if not answer.is_success:
        return f"webhook: HTTP {answer.status_code} {answer.text[:200]}".strip()
    return ""
