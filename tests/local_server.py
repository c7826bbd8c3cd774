"""A real HTTP server on 127.0.0.1 for tests: the code under test talks to it over the network."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/atom+xml; charset=utf-8"})
    # Seconds to wait before answering (to provoke client timeouts).
    delay: float = 0.0
    # Sent after `body` with no Content-Length, chunk by chunk, until it ends or the client hangs up
    # (an endless iterator is an answer that never ends).
    stream: Iterable[bytes] | None = None


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""
    # The client's end of the connection (host, port): requests sharing one came over one connection.
    client_address: tuple = ()


Handler = Callable[[RecordedRequest], Reply]


class _Server(ThreadingHTTPServer):
    # Room for every client of a benchmark connecting at once (32 workers), not socketserver's 5.
    request_queue_size = 128


class LocalServer:
    """Answers each request with `handler(request)`, or with queued replies in order.

    `keep_alive`: speak HTTP/1.1 and keep each connection open for the client's next request (by
    default HTTP/1.0: one request per connection)."""

    def __init__(self, *, keep_alive: bool = False) -> None:
        self.requests: list[RecordedRequest] = []
        self.handler: Handler | None = None
        self.queue: list[Reply] = []
        self._stop = threading.Event()
        server = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(b"")

            def do_POST(self) -> None:  # noqa: N802
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _answer(self, body: bytes) -> None:
                parts = urlsplit(self.path)
                request = RecordedRequest(
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k: v for k, v in self.headers.items()},
                    method=self.command,
                    body=body,
                    client_address=tuple(self.client_address),
                )
                server.requests.append(request)
                reply = server._reply_for(request)
                if reply.delay:
                    server._stop.wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.stream is None:
                        self.send_header("Content-Length", str(len(reply.body)))
                    else:
                        self.close_connection = True  # HTTP/1.0: the body ends when the connection does
                    self.end_headers()
                    self.wfile.write(reply.body)
                    for chunk in reply.stream or ():
                        if server._stop.is_set():
                            break
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format, *args) -> None:
                pass

        self._httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def _reply_for(self, request: RecordedRequest) -> Reply:
        if self.queue:
            return self.queue.pop(0)
        if self.handler is not None:
            return self.handler(request)
        return Reply(status=404, body=b"no reply configured", headers={"Content-Type": "text/plain"})

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
