"""Requests the server makes to addresses editors configure (webhook endpoints): public addresses only.

A chief editor names the URL and the server makes the request, so without a check an endpoint at
http://127.0.0.1:…/, at the link-local metadata address (169.254.169.254) or on a private network had
the server read an internal service for them. The check runs at send time on every address the host
name resolves to then, and the connection goes to the address checked (the URL carries that address;
the Host header and TLS keep the name), so a DNS answer that changes between the check and the
connection (rebinding) cannot move it. The admin's form checks too, to say so at once.

DIGEST_WEBHOOK_ALLOW_PRIVATE=1 lifts the check (the tests' and the demo's receivers are on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx
from django.conf import settings

# What is kept of an endpoint's answer: its status, and this much of its body, escaped, to tell a chat
# service's error from another. Never the whole answer: an editor reads it in the admin.
ANSWER_EXCERPT_CHARS = 200
# The most read of an answer's body; the rest is not fetched.
ANSWER_READ_BYTES = 4096


class AddressRefused(Exception):
    """The server will not send to this address; the message says why, in one line."""


@dataclass(frozen=True)
class PinnedTarget:
    """Where a request goes: `url` with the checked address in place of the host name, the `Host`
    header of the URL as written, and for https the name TLS checks the certificate against."""

    url: httpx.URL
    host_header: str
    extensions: dict


def address_refusal(address: str) -> str:
    """What kind of address `address` is when the server does not send to it ("" when it does: a public
    unicast address)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global or ip.is_multicast:
        return "not a public address"
    return ""


def _resolved(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve ({exc})") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def outbound_target(url: str) -> PinnedTarget:
    """The checked address a request to `url` connects to; AddressRefused if the URL is no http(s)
    address, its host does not resolve, or any address it resolves to is not public (unless allowed):
    a name that also resolves to 127.0.0.1 is refused, whichever address a connection would take."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise AddressRefused(f"not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise AddressRefused(f"{url[:100]!r} is not an http:// or https:// address")
    host = parsed.raw_host.decode("ascii")
    addresses = _resolved(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    if not settings.DIGEST_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if kind := address_refusal(address):
                resolved = "" if host == address else f" ({host} resolves to it)"
                raise AddressRefused(f"refused: {address} is {kind}{resolved}; the server sends only to public "
                                     "addresses (DIGEST_WEBHOOK_ALLOW_PRIVATE=1 allows others)")
    extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
    return PinnedTarget(url=parsed.copy_with(host=addresses[0]), host_header=parsed.netloc.decode("ascii"),
                        extensions=extensions)


def answer_excerpt(text: str) -> str:
    """The start of an answer as one short line, at most ANSWER_EXCERPT_CHARS and an ellipsis: control
    and other unprintable characters escaped (`\\x00`, `\\n`)."""
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[:ANSWER_EXCERPT_CHARS])
    cut = len(shown) > ANSWER_EXCERPT_CHARS or len(text) > ANSWER_EXCERPT_CHARS
    return shown[:ANSWER_EXCERPT_CHARS] + ("…" if cut else "")


def answer_start(answer: httpx.Response) -> str:
    """The first ANSWER_READ_BYTES of a streamed answer's body, as text; the rest is never read."""
    start = b""
    for chunk in answer.iter_bytes():
        start += chunk
        if len(start) >= ANSWER_READ_BYTES:
            break
    return start[:ANSWER_READ_BYTES].decode(answer.encoding or "utf-8", errors="replace")
