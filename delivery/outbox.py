"""Where a batch's mails go: one connection of the mail backend for the whole batch, and the messages'
bytes built once per choice of categories.

With Django's SMTP backend (what a site uses) the batch drives smtplib one command at a time
(`SmtpOutbox`): the envelope, then the body as built once per choice (`BuiltMessage.smtp_data`), then
— while the server reads that body — `before_accept`, where delivery.sending commits the *sent* mark
of the message the server accepted before; only then the final dot that lets the server accept this
one. The database's commit overlaps the server's work instead of following it, and still at most one
accepted message per connection is ever unmarked (the window delivery.sending describes). Any other
backend (files in the demo, the console) sends each message with its own `send_messages`
(`BackendOutbox`).

Not PIPELINING (RFC 2920): on this machine a round trip to a local aiosmtpd takes 0.1–0.2 ms and
sending a 160 KiB edition 7 ms or more, so the two round trips pipelining saves per message are a few
per cent, and aiosmtpd, like many servers, does not offer it.
"""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address


def smtp_data(message_bytes: bytes) -> bytes:
    """A message's bytes (CRLF line ends) as SMTP's DATA carries them: a dot at the start of a line doubled
    (RFC 5321 4.5.2) and a final line end; the terminating dot is not included. The same bytes smtplib's
    `sendmail` sends, without its regular expression's pass over the whole message."""
    data = (b"." if message_bytes.startswith(b".") else b"") + message_bytes.replace(b"\n.", b"\n..")
    return data if data.endswith(b"\r\n") else data + b"\r\n"


@dataclass(frozen=True)
class MarkedBytes:
    """A message's bytes cut where a subscriber's bits go: text, mark, text, mark, …, text."""

    pieces: tuple[bytes, ...]

    @classmethod
    def cut(cls, content: bytes, marks: re.Pattern[bytes]) -> MarkedBytes:
        """`marks` is one capturing group matching any of the marks."""
        return cls(tuple(marks.split(content)))

    def fill(self, bits: Mapping[bytes, bytes]) -> bytes:
        pieces = list(self.pieces)
        pieces[1::2] = [bits[mark] for mark in pieces[1::2]]
        return b"".join(pieces)


class BuiltMessage(EmailMessage):
    """A message whose bytes are already built, once per choice of categories (delivery.edition): every
    mail backend sends them as they are, and `SmtpOutbox` sends `smtp_data`, made ready for SMTP once too."""

    def __init__(self, *, content: MarkedBytes, smtp: MarkedBytes, bits: Mapping[bytes, bytes], subject: str,
                 from_email: str, to: str) -> None:
        super().__init__(subject, "", from_email, [to])
        self.content, self.smtp, self.bits = content, smtp, bits

    def message(self):
        return _BuiltMIME(self.content.fill(self.bits))

    def smtp_data(self) -> bytes:
        return self.smtp.fill(self.bits)


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


class SmtpOutbox:
    """Django's SMTP backend's connection (its settings: host, port, TLS, login, timeout), driven a command
    at a time; it raises smtplib's errors where `sendmail` would."""

    def __init__(self, backend: SmtpBackend) -> None:
        self.backend = backend
        self._in_data = False  # between DATA's 354 and the answer to the final dot
        self._nodelay_socket = None  # the connection whose socket sends small writes at once

    def open(self) -> None:
        try:
            self.backend.open()
        except (smtplib.SMTPException, OSError):
            pass  # each message tries again, and its row records why it could not go

    def _session(self) -> smtplib.SMTP:
        session = self.backend.connection
        if session is None or session.sock is None:  # never opened, lost, or closed after the server's 421
            self.close()
            self.backend.open()
            session = self.backend.connection
        if session.sock is not self._nodelay_socket:
            # The final dot goes alone, after the body and the sent mark's commit: with Nagle's algorithm
            # the kernel holds those 3 bytes until the server acknowledges the body (a delayed ACK away),
            # which cost about 4 ms a message, a third of the rate. smtplib never meets this: it writes
            # the body and the dot in one call.
            session.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._nodelay_socket = session.sock
        return session

    def send(self, message: EmailMessage, *, before_accept: Callable[[], None]) -> None:
        """Send one message. `before_accept` runs when the whole body has gone and before the final dot,
        after which the server may accept the message."""
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(address, encoding) for address in message.recipients()]
        data = (message.smtp_data() if isinstance(message, BuiltMessage)
                else smtp_data(message.message().as_bytes(linesep="\r\n")))
        session = self._session()
        session.ehlo_or_helo_if_needed()
        code, answer = session.mail(sender, [f"SIZE={len(data)}"] if session.has_extn("size") else [])
        if code != 250:
            self._refused(session, code)
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        refused = {}
        for recipient in recipients:
            code, answer = session.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, answer)
                if code == 421:
                    self._refused(session, code)
                    raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(recipients):
            self._refused(session, code)
            raise smtplib.SMTPRecipientsRefused(refused)
        session.putcmd("data")
        code, answer = session.getreply()
        if code != 354:
            self._refused(session, code)
            raise smtplib.SMTPDataError(code, answer)
        self._in_data = True
        session.send(data)
        before_accept()
        session.send(b".\r\n")
        code, answer = session.getreply()
        self._in_data = False
        if code != 250:
            self._refused(session, code)
            raise smtplib.SMTPDataError(code, answer)

    def _refused(self, session: smtplib.SMTP, code: int) -> None:
        """After a refusal, as smtplib's sendmail does: the server said it closes (421), or start over (RSET)."""
        if code == 421:
            session.close()
            return
        try:
            session.rset()
        except smtplib.SMTPServerDisconnected:
            pass

    def close(self) -> None:
        session = self.backend.connection
        if self._in_data and session is not None:
            # Mid-message (an error between DATA and the final dot): QUIT would be read as the body's next
            # line and wait for an answer that never comes; dropping the connection discards the message.
            session.close()
            self.backend.connection = None
        self._in_data = False
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self.backend.connection = None


class BackendOutbox:
    """Any other mail backend: each message through its `send_messages`, over the backend's one connection."""

    def __init__(self, backend) -> None:
        self.backend = backend

    def open(self) -> None:
        try:
            self.backend.open()
        except (smtplib.SMTPException, OSError):
            pass

    def send(self, message: EmailMessage, *, before_accept: Callable[[], None]) -> None:
        before_accept()
        self.backend.send_messages([message])

    def close(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            pass


def outbox_open() -> SmtpOutbox | BackendOutbox:
    """The configured backend's outbox, its connection opened (if it can be: if not, each message tries)."""
    backend = get_connection()
    outbox = SmtpOutbox(backend) if isinstance(backend, SmtpBackend) else BackendOutbox(backend)
    outbox.open()
    return outbox
