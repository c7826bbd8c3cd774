"""Webhooks: each newly published day is announced once per endpoint, signed with HMAC-SHA256, in the
shape the endpoint's kind accepts; failures are retried with backoff and every answer is kept."""

import datetime as dt
import hashlib
import hmac
import json
import socket
import time

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from delivery.models import WebhookDelivery, WebhookEndpoint
from delivery.webhooks import MAX_ATTEMPTS, SIGNATURE_HEADER, webhook_delivery_send, webhooks_come_due
from digests.models import Digest
from publishing.models import DigestDay, Publication
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from tests.builders import approve_all, edit
from tests.local_server import Reply


def publish(day, chief, capture):
    with capture(execute=True):
        return day_publish(day=day, user=chief)


@pytest.fixture
def receiver(local_server):
    local_server.handler = lambda request: Reply(status=200, body=b"ok", headers={"Content-Type": "text/plain"})
    return local_server


def test_a_publish_is_announced_signed_to_a_generic_endpoint(drafted_day, editor, chief, receiver,
                                                             django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook", secret="s3cret")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    body = json.loads(request.body)
    assert body["event"] == "day.published" and body["date"] == "2026-01-09" and body["version"] == 1
    assert body["url"].endswith("/days/2026-01-09/") and len(body["papers"]) == 6
    expected = "sha256=" + hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == expected
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("delivered", 200, 1)


@pytest.mark.parametrize("kind, text_of", [
    ("slack", lambda body: body["text"]),
    ("feishu", lambda body: body["content"]["text"]),
    ("dingtalk", lambda body: body["text"]["content"]),
])
def test_chat_endpoints_get_their_own_text_shape(drafted_day, editor, chief, receiver, kind, text_of,
                                                 django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name=kind, url=f"{receiver.url}/{kind}", kind=kind)
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    text = text_of(json.loads(receiver.requests[0].body))
    assert text.startswith("arXiv Daily – 2026-01-09（6 篇）") and "/days/2026-01-09/" in text


def test_publishing_again_unchanged_announces_nothing_new_and_a_correction_is_announced(
        published_day, editor, chief, receiver, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook")
    publish(published_day, chief, django_capture_on_commit_callbacks)  # unchanged: not a new version
    assert receiver.requests == []
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh="更正")
    entry_approve(entry=entry, user=editor)
    publish(published_day, chief, django_capture_on_commit_callbacks)
    assert [json.loads(request.body)["version"] for request in receiver.requests] == [2]


def test_a_failing_endpoint_is_retried_with_backoff_then_failed_and_can_be_retried(
        drafted_day, editor, chief, local_server, client, django_capture_on_commit_callbacks):
    local_server.handler = lambda request: Reply(status=500, body=b"down", headers={"Content-Type": "text/plain"})
    WebhookEndpoint.objects.create(name="flaky", url=f"{local_server.url}/hook")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    first_wait = delivery.next_try_at - delivery.last_tried_at
    assert Schedule.objects.filter(func="delivery.tasks.webhook_delivery_task", args=str(delivery.pk)).count() == 1
    for _ in range(MAX_ATTEMPTS - 1):
        webhook_delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS) and "HTTP 500" in delivery.error
    assert len(local_server.requests) == MAX_ATTEMPTS and first_wait.total_seconds() == 60

    local_server.handler = lambda request: Reply(status=204, body=b"", headers={})
    client.force_login(chief)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:delivery_webhookdelivery_changelist"),
                    {"action": "retry", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    page = client.get(reverse("admin:delivery_webhookdelivery_changelist"), HTTP_ACCEPT_LANGUAGE="en").content
    assert b"delivered" in page


def test_an_unpublish_announces_nothing(published_day, chief, receiver, django_capture_on_commit_callbacks):
    from publishing.posts.publication import day_unpublish

    WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=published_day, user=chief)
    assert receiver.requests == []


def test_only_a_chief_editor_registers_endpoints(client, editor, chief):
    add = reverse("admin:delivery_webhookendpoint_add")
    client.force_login(editor)
    assert client.get(add).status_code == 403
    client.force_login(chief)
    assert client.get(add).status_code == 200


def test_a_day_published_ahead_of_its_date_is_announced_when_its_date_comes(
        published_day, editor, chief, receiver, django_capture_on_commit_callbacks):
    from publishing.days.windows import current_digest_date
    from tests.builders import another_day_approved

    WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook")
    future = another_day_approved(current_digest_date() + dt.timedelta(days=2), published_day, editor)
    publish(future, chief, django_capture_on_commit_callbacks)
    future.refresh_from_db()
    assert future.live_publication_id is not None and receiver.requests == []  # its link would not open yet

    # Its date comes (as if published two days ahead): delivery's sweep announces it, once.
    DigestDay.objects.filter(pk=future.pk).update(date=current_digest_date())
    Publication.objects.filter(pk=future.live_publication_id).update(
        published_at=timezone.now() - dt.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_come_due() == 1
        assert webhooks_come_due() == 0
    (request,) = receiver.requests
    assert json.loads(request.body)["date"] == f"{current_digest_date():%Y-%m-%d}"


@pytest.mark.parametrize("kind, text_of, hostile, shown", [
    ("slack", lambda body: body["text"], "<!channel> <https://evil.example|勘误>", "&lt;!channel&gt; &lt;https://evil.example|勘误&gt;"),
    ("feishu", lambda body: body["content"]["text"], '<at user_id="all">所有人</at>', '＜at user_id="all"＞所有人＜/at＞'),
])
def test_a_title_cannot_mention_everyone_or_forge_a_link_in_a_chat(drafted_day, editor, chief, receiver, kind, text_of,
                                                                   hostile, shown, django_capture_on_commit_callbacks):
    """Found by an attacker's pass: Slack's <…> and Feishu's <at> in a paper's title reached the chat as markup."""
    WebhookEndpoint.objects.create(name=kind, url=f"{receiver.url}/{kind}", kind=kind)
    entry = drafted_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh=f"{hostile} 语音合成")
    # The link check (link_unverified) stops a link the paper never gave: approved despite it, to see the chat's text.
    approve_all(drafted_day, editor, despite_errors=True)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    text = text_of(json.loads(receiver.requests[0].body))
    assert hostile not in text and f"{shown} 语音合成" in text


# --- Where the server sends: public addresses only (delivery.outbound) ------------------------------

SECRET = b"internal-only: db password hunter2 " * 200  # an internal service's answer, 7,000 bytes


@pytest.fixture
def internal_service(local_server):
    local_server.handler = lambda request: Reply(status=200, body=SECRET, headers={"Content-Type": "text/plain"})
    return local_server


def test_an_endpoint_on_a_loopback_address_is_refused_at_send_time_and_nothing_is_read(
        settings, drafted_day, editor, chief, internal_service, django_capture_on_commit_callbacks):
    """Found by an attacker's pass: a chief editor's endpoint at http://127.0.0.1:…/secretdata had the server
    read an internal service, and 2,000 characters of its answer were kept, readable by editors in the admin."""
    settings.DIGEST_WEBHOOK_ALLOW_PRIVATE = False
    WebhookEndpoint.objects.create(name="inside", url=f"{internal_service.url}/secretdata")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert internal_service.requests == []
    assert delivery.error.startswith("refused: 127.0.0.1 is a loopback address")
    assert (delivery.response_status, delivery.response_body) == (None, "")


def recording_client(answer: bytes = SECRET) -> tuple[httpx.Client, list[httpx.Request]]:
    """An httpx client that would answer anything it is asked, and records what it was asked."""
    asked: list[httpx.Request] = []

    def answer_everything(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, content=answer, headers={"Content-Type": "text/plain"})

    return httpx.Client(transport=httpx.MockTransport(answer_everything)), asked


@pytest.fixture
def pending_delivery(published_day):
    def make(url: str) -> WebhookDelivery:
        endpoint = WebhookEndpoint.objects.create(name=url[:100], url=url)
        return WebhookDelivery.objects.create(endpoint=endpoint, publication=published_day.live_publication)
    return make


@pytest.mark.parametrize("url, said", [
    ("http://localhost:8080/", "127.0.0.1 is a loopback address (localhost resolves to it)"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://10.0.0.5/admin", "10.0.0.5 is a private address"),
    ("http://192.168.1.1/", "192.168.1.1 is a private address"),
    ("http://[::1]:8080/", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
    ("http://2130706433/", "127.0.0.1 is a loopback address (2130706433 resolves to it)"),
    ("http://0.0.0.0:8080/", "0.0.0.0 is a private address"),
    ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
])
def test_internal_addresses_are_refused_after_resolution_without_a_request(settings, pending_delivery, url, said):
    settings.DIGEST_WEBHOOK_ALLOW_PRIVATE = False
    client, asked = recording_client()
    delivery = webhook_delivery_send(delivery_id=pending_delivery(url).pk, client=client)
    assert asked == []
    assert delivery.error.startswith(f"refused: {said}") and delivery.response_body == ""


def test_the_connection_goes_to_the_address_checked_so_dns_rebinding_cannot_move_it(
        settings, pending_delivery, monkeypatch):
    """The host name resolves to a public address when checked, then to 127.0.0.1 (DNS rebinding): the
    request still goes to the address checked, under the name the endpoint gave."""
    settings.DIGEST_WEBHOOK_ALLOW_PRIVATE = False
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.rebind.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in next(answers)]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    client, asked = recording_client(b"ok")
    delivery = webhook_delivery_send(delivery_id=pending_delivery("https://hooks.rebind.example/hook").pk,
                                     client=client)
    (request,) = asked
    assert (request.url.host, request.headers["Host"]) == ("93.184.216.34", "hooks.rebind.example")
    assert request.extensions["sni_hostname"] == "hooks.rebind.example"  # TLS checks the name's certificate
    assert delivery.status == "delivered"


def test_a_real_connection_is_made_to_the_pinned_address(pending_delivery, internal_service, monkeypatch):
    """Over the network: the name resolves (once, here) to the test server; httpx is never asked to resolve it."""
    port = int(internal_service.url.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kwargs: real(
        "127.0.0.1" if host == "receiver.pinned.test" else host, *args, **kwargs))
    delivery = webhook_delivery_send(delivery_id=pending_delivery(f"http://receiver.pinned.test:{port}/hook").pk)
    assert delivery.status == "delivered"
    assert internal_service.requests[0].headers["Host"] == f"receiver.pinned.test:{port}"


def test_only_the_status_and_a_short_escaped_excerpt_of_an_answer_are_kept(pending_delivery, local_server):
    local_server.handler = lambda request: Reply(status=500, body=b"boom\x00\x1b[31m\n<b>" + b"x" * 5000,
                                                 headers={"Content-Type": "text/plain"})
    delivery = webhook_delivery_send(delivery_id=pending_delivery(f"{local_server.url}/hook").pk)
    assert delivery.response_status == 500
    assert delivery.response_body.startswith("boom\\x00\\x1b[31m\\n<b>xxx") and delivery.response_body.endswith("…")
    assert len(delivery.response_body) <= 201 and delivery.response_body.isprintable()


def test_the_admin_refuses_an_internal_endpoint_with_a_clear_error(settings, client, chief):
    settings.DIGEST_WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(chief)
    add = reverse("admin:delivery_webhookendpoint_add")
    fields = {"digest": Digest.objects.home().pk, "name": "inside", "kind": "generic", "secret": "", "active": "on"}
    page = client.post(add, {**fields, "url": "http://127.0.0.1:9000/secretdata"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and not WebhookEndpoint.objects.exists()
    assert "The server will not send to this address: refused: 127.0.0.1 is a loopback address" in page.content.decode()
    assert client.post(add, {**fields, "url": "https://93.184.216.34/hook"}).status_code == 302
    assert WebhookEndpoint.objects.get().url == "https://93.184.216.34/hook"
@pytest.mark.timeout_sensitive
def test_a_sender_killed_mid_post_leaves_the_row_leased_then_it_is_announced_once_more(
        transactional_db, local_server, django_capture_on_commit_callbacks):
    """A webhook try whose process dies holding its row (here SIGKILL while the endpoint is slow to answer)
    keeps it `sending` only until its lease runs out; then delivery's sweep hands it to a worker again."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    from pathlib import Path

    from django.contrib.auth.models import User

    from delivery.retries import lease
    from delivery.schedule import deliveries_sweep
    from tests.builders import demo_day_published
    from tests.publishing.test_cluster import database_url

    # A superuser: a transactional test may run after another emptied the tables, the role groups included.
    chief = User.objects.create_superuser("chief", "chief@example.org", "pw")
    day = demo_day_published(django_capture_on_commit_callbacks, chief, chief)
    endpoint = WebhookEndpoint.objects.create(name="slow", url=f"{local_server.url}/hook")
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, publication=day.live_publication)
    answer = threading.Event()

    def slow_then_fine(request):
        if len(local_server.requests) == 1:
            answer.wait(60)  # the first try's sender is killed while it waits here
        return Reply(status=200, body=b"ok", headers={"Content-Type": "text/plain"})

    local_server.handler = slow_then_fine
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()}
    sender = subprocess.Popen(
        [sys.executable, str(repo / "manage.py"), "shell", "-c",
         f"from delivery.webhooks import webhook_delivery_send; webhook_delivery_send(delivery_id={delivery.pk})"],
        env=env, cwd=repo, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not local_server.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        assert local_server.requests, "the sender never posted"
    finally:
        os.killpg(sender.pid, signal.SIGKILL)
        sender.wait(10)
        answer.set()
    delivery.refresh_from_db()
    assert delivery.status == "sending" and delivery.attempts == 1
    assert delivery.claimed_until > timezone.now() + lease() - dt.timedelta(minutes=1)

    # Within the lease nobody takes it: not a try, not the sweep ...
    assert webhook_delivery_send(delivery_id=delivery.pk) is None
    assert deliveries_sweep().webhooks_queued == 0
    # ... once the lease has run out, the sweep hands it to a worker (run in-process here), which posts it.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert deliveries_sweep().webhooks_queued == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 200)
    assert (delivery.claimed_by, delivery.claimed_until) == ("", None)
    assert len(local_server.requests) == 2
