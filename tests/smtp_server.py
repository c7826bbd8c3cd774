"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd): smtplib, through Django's SMTP backend, talks to it.

It keeps every message it accepted (parsed, with its envelope), can refuse chosen recipients at RCPT
or a whole message at DATA with a given code, and can hold messages (`hold_after`, optionally only one
sender's: `hold_from`): from that many accepted messages on, each next one waits at DATA, unaccepted,
until `release()` — so a test can kill a sending worker while its message is in flight.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import importlib.metadata
import importlib.util
import socket
import sys
import threading
from dataclasses import dataclass
from email.message import EmailMessage


def _import_aiosmtpd():
    """aiosmtpd does `from public import public` (the atpublic package), and our site's app is also
    called `public`: atpublic's module stands in under that name while aiosmtpd is imported, then ours
    is put back."""
    location = importlib.metadata.distribution("atpublic").locate_file("public/__init__.py")
    spec = importlib.util.spec_from_file_location("public", location,
                                                  submodule_search_locations=[str(location.parent)])
    atpublic = importlib.util.module_from_spec(spec)
    ours = {name: module for name, module in sys.modules.items() if name == "public" or name.startswith("public.")}
    for name in ours:
        del sys.modules[name]
    sys.modules["public"] = atpublic
    try:
        spec.loader.exec_module(atpublic)
        import aiosmtpd.controller
        import aiosmtpd.smtp  # noqa: F401
    finally:
        for name in [name for name in sys.modules if name == "public" or name.startswith("public.")]:
            del sys.modules[name]
        sys.modules.update(ours)
    return aiosmtpd.controller.Controller


Controller = _import_aiosmtpd()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        raise KeyError(content_type)


class SmtpServer:
    def __init__(self, *, parse: bool = True) -> None:
        # parse=False keeps only the envelopes (a benchmark's sink, where parsing would be what is timed).
        self.parse = parse
        self.received: list[Received] = []
        # Addresses refused at RCPT: address → (code, text).
        self.refuse_rcpt: dict[str, tuple[int, str]] = {}
        # Messages to these addresses refused at DATA: address → (code, text).
        self.refuse_data: dict[str, tuple[int, str]] = {}
        self.hold_after: int | None = None
        # With hold_after: hold only messages from this envelope sender, counting only theirs (one of
        # several sending processes, each with its own DEFAULT_FROM_EMAIL).
        self.hold_from: str | None = None
        self.holding = threading.Event()  # set while a message waits at DATA
        self._released = threading.Event()
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.controller.stop()

    def release(self) -> None:
        """Let held messages go: each is answered 421 and not kept (its sender is gone by then)."""
        self.hold_after = None
        self._released.set()

    def to(self, address: str) -> list[Received]:
        return [mail for mail in self.received if address in mail.rcpt_tos]

    # aiosmtpd's handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse_rcpt:
            code, text = self.refuse_rcpt[address]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for address in envelope.rcpt_tos:
            if address in self.refuse_data:
                code, text = self.refuse_data[address]
                return f"{code} {text}"
        with self._lock:
            counted = [mail for mail in self.received if self.hold_from in (None, mail.mail_from)]
            held = (self.hold_after is not None and self.hold_from in (None, envelope.mail_from)
                    and len(counted) >= self.hold_after)
        if held:
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.05)
            return "421 held and dropped by the test"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default) if self.parse else None
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"
