"""Mail at the server's pace (issue 22): each mail goes out as bytes made ready for SMTP once per choice of
categories, and the row of a message the server accepted is marked sent before the server can accept the
next one, although the mark is now written while the next message's body travels."""

import smtplib

from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core import mail as django_mail

from delivery.models import EmailDelivery
from tests.builders import approve_all, demo_day_drafted, edit
from tests.delivery.test_email_edition import confirmed, editions, publish
from tests.smtp_server import SmtpServer


def _sent_addresses() -> set[str]:
    from django.db import connection

    try:
        return set(EmailDelivery.objects.filter(status="sent").values_list("subscriber__email", flat=True))
    finally:
        connection.close()  # a thread of the server's: its own connection


class RecordingServer(SmtpServer):
    """Notes, as each message's final dot arrives (before the server accepts it), which rows the database
    says are sent, and which messages it had accepted before."""

    def __init__(self) -> None:
        super().__init__()
        self.at_each_dot: list[tuple[str, set[str], list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        accepted_before = [mail.to for mail in editions(self)]
        sent = await sync_to_async(_sent_addresses, thread_sensitive=False)()
        self.at_each_dot.append((envelope.rcpt_tos[0], sent, accepted_before))
        return await super().handle_DATA(server, session, envelope)


def test_each_accepted_mail_is_marked_sent_before_the_server_can_accept_the_next(
        delivery_switched_on, settings, django_capture_on_commit_callbacks):
    server = RecordingServer().start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = server.host, server.port, False
        settings.DIGEST_SITE_URL = "https://digest.example.org"
        chief = User.objects.create_superuser("chief", "chief@example.org", "pw")
        day = demo_day_drafted(django_capture_on_commit_callbacks)
        addresses = [f"reader{number}@example.org" for number in range(6)]
        for address in addresses:
            confirmed(address)
        server.received.clear()
        server.at_each_dot.clear()
        approve_all(day, chief)
        publish(day, chief, django_capture_on_commit_callbacks)
    finally:
        server.stop()

    assert sorted(mail.to for mail in editions(server)) == addresses
    assert len(server.at_each_dot) == len(addresses)
    for recipient, sent, accepted_before in server.at_each_dot:
        # Every message accepted before is already recorded: a worker killed now mails nobody twice.
        assert set(accepted_before) <= sent, (recipient, accepted_before, sent)
        assert recipient not in sent
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_lines_starting_with_a_dot_arrive_whole(drafted_day, editor, chief, smtp_server,
                                               django_capture_on_commit_callbacks):
    """SMTP ends a message at a line holding only a dot and drops a line's first dot: the bytes made once per
    choice double them, as smtplib would for each mail."""
    confirmed("ana@example.org")
    entry = drafted_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, abstract_zh="第一行。\n.以点开头的一行\n.\n..两个点")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)

    (mail,) = editions(smtp_server)
    text = mail.part("text/plain").replace("\r\n", "\n")
    assert "第一行。\n.以点开头的一行\n.\n..两个点" in text
    assert ".以点开头的一行" in mail.part("text/html") and "退订" in text  # the message did not end early


def test_a_batch_prepares_each_choice_for_smtp_once_not_each_mail(drafted_day, editor, chief, smtp_server,
                                                                  monkeypatch, django_capture_on_commit_callbacks):
    """Before, smtplib doubled the dots of each 160 KiB mail with a regular expression (about 3 ms a mail, in
    the sending process's time between two messages); the edition now does it once per choice."""
    quoted = []
    quote_periods = smtplib._quote_periods
    monkeypatch.setattr(smtplib, "_quote_periods", lambda data: quoted.append(1) or quote_periods(data))
    addresses = [f"reader{number}@example.org" for number in range(4)]
    for address in addresses:
        confirmed(address)
    smtp_server.received.clear()
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)

    assert sorted(mail.to for mail in editions(smtp_server)) == addresses
    assert quoted == []


def test_other_mail_backends_get_each_message_whole(drafted_day, editor, chief, settings,
                                                    django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DIGEST_SITE_URL = "https://digest.example.org"
    ana, bo = confirmed("ana@example.org"), confirmed("bo@example.org")
    django_mail.outbox.clear()
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)

    by_address = {message.to[0]: message.message().as_bytes() for message in django_mail.outbox}
    assert sorted(by_address) == ["ana@example.org", "bo@example.org"]
    assert ana.unsubscribe_token.encode() in by_address["ana@example.org"]
    assert bo.unsubscribe_token.encode() not in by_address["ana@example.org"]
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_final_dot_leaves_at_once(drafted_day, editor, chief, smtp_server, monkeypatch,
                                      django_capture_on_commit_callbacks):
    """The final dot is written alone, after the body and the sent mark: with Nagle's algorithm on, the kernel
    held those 3 bytes until the server acknowledged the body (a third of the sending rate in bench/newsletter.py).
    Every connection the batches use sends small writes at once (TCP_NODELAY)."""
    import socket

    from delivery.outbox import SmtpOutbox

    nodelay = []
    send = SmtpOutbox.send

    def send_and_look(outbox, message, *, before_accept):
        send(outbox, message, before_accept=before_accept)
        nodelay.append(outbox.backend.connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(SmtpOutbox, "send", send_and_look)
    for number in range(2):
        confirmed(f"reader{number}@example.org")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    assert len(nodelay) == 2 and all(nodelay), nodelay
