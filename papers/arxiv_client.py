"""The HTTP client every arXiv request goes through.

arXiv asks API clients to identify themselves, to wait 3 seconds between calls
and to back off when told to; this client does all three, and turns every
failure into an `ArxivHTTPError` with a one-line message. It reads an answer as
a stream and stops at MAX_ANSWER_BYTES (after decompression), so an answer far
larger than any real one cannot fill the memory.
"""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time
from collections.abc import Callable

import httpx
from django.conf import settings

from digest_site.process_clients import ProcessClients

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER_SECONDS = 300.0
# The cap a saved file has (`fetch_papers --file`): an API page of 2,000 entries is about 10 MB,
# a paper's PDF rarely over 20 MB.
MAX_ANSWER_BYTES = 64_000_000
# Of an error answer only its start is kept (arXiv's reason is a short Atom entry).
MAX_ERROR_BODY_BYTES = 64_000

# When the last request to arXiv left, per clock: shared by every client of this process
# (same clock), so two fetches in one worker still keep arXiv's delay between them.
_last_request_at: dict = {}
_last_request_lock = threading.Lock()


class ArxivHTTPError(Exception):
    """A request to arXiv failed for good (after retries where retrying makes sense)."""

    def __init__(self, message: str, *, status: int | None = None, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS) if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(moment.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_SECONDS)


class ArxivClient:
    def __init__(
        self,
        *,
        user_agent: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        delay: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int | None = None,
    ) -> None:
        self.user_agent = user_agent or settings.ARXIV_USER_AGENT
        self.timeout = settings.ARXIV_HTTP_TIMEOUT if timeout is None else timeout
        self.retries = settings.ARXIV_HTTP_RETRIES if retries is None else retries
        self.backoff = settings.ARXIV_HTTP_BACKOFF if backoff is None else backoff
        self.delay = settings.ARXIV_API_DELAY if delay is None else delay
        self.max_bytes = MAX_ANSWER_BYTES if max_bytes is None else max_bytes
        self._sleep = sleep
        self._clock = clock
        self.requests_made = 0
        self._http = httpx.Client(
            headers={"User-Agent": self.user_agent, "Accept": "application/atom+xml, application/rss+xml, */*"},
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _wait_politely(self) -> None:
        """Sleep until `delay` seconds have passed since the last request, then claim the slot."""
        with _last_request_lock:
            last = _last_request_at.get(self._clock)
            remaining = 0.0 if last is None or self.delay <= 0 else self.delay - (self._clock() - last)
            if remaining > 0:
                self._sleep(remaining)
            _last_request_at[self._clock] = self._clock()

    def get(self, url: str, params: dict | None = None) -> bytes:
        """GET `url`; retry 429, 5xx, timeouts and connection errors with backoff; return the body
        (refused when larger than `max_bytes`)."""
        shown_url = str(httpx.URL(url, params=params))
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            self._wait_politely()
            self.requests_made += 1
            try:
                with self._http.stream("GET", url, params=params) as response:
                    if response.status_code < 400:
                        return self._body(response, shown_url)
                    status, body = response.status_code, self._body_start(response)
            except httpx.TimeoutException:
                problem, wait = f"timed out after {self.timeout:g} s", None
            except httpx.TransportError as exc:
                problem, wait = f"connection failed ({exc.__class__.__name__}: {exc})", None
            except httpx.HTTPError as exc:  # e.g. a redirect loop or an undecodable body: not worth retrying
                raise ArxivHTTPError(f"arXiv request to {shown_url} failed ({exc.__class__.__name__}: {exc})") from None
            else:
                problem = f"answered HTTP {status}"
                if status not in RETRYABLE_STATUSES:
                    raise ArxivHTTPError(f"arXiv {problem} for {shown_url}", status=status, body=body)
                wait = _retry_after_seconds(response)
                if attempt == attempts:
                    raise ArxivHTTPError(f"arXiv {problem} for {shown_url} ({attempts} attempts)", status=status, body=body)
            if attempt == attempts:
                raise ArxivHTTPError(f"arXiv {problem} for {shown_url} ({attempts} attempts)")
            wait = self.backoff * 2 ** (attempt - 1) if wait is None else wait
            logger.warning("arXiv %s for %s; retrying in %.1f s (attempt %d of %d)", problem, shown_url, wait, attempt, attempts)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _body(self, response: httpx.Response, shown_url: str) -> bytes:
        """The answer's bytes, read chunk by chunk; refused (not retried) once past `max_bytes`."""
        too_large = ArxivHTTPError(f"arXiv's answer to {shown_url} is larger than {_size(self.max_bytes)}; "
                                   "stopped reading it (no arXiv answer is that large)")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_large
        chunks, size = [], 0
        for chunk in response.iter_bytes():  # decompressed: a small gzip answer may unpack to gigabytes
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _body_start(self, response: httpx.Response) -> bytes:
        """The first MAX_ERROR_BODY_BYTES of an error answer, where arXiv writes its reason."""
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            chunks.append(chunk[:MAX_ERROR_BODY_BYTES - size])
            size += len(chunks[-1])
            if size >= MAX_ERROR_BODY_BYTES:
                break
        return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit // 1_000_000} MB" if limit >= 1_000_000 and limit % 1_000_000 == 0 else f"{limit:,} bytes"


_kept_clients: ProcessClients[ArxivClient] = ProcessClients()


def arxiv_client_kept() -> ArxivClient:
    """This process's client for the current settings, kept with its connections for its later
    requests (each draft fetches a full text: a client per draft loaded the certificate store each
    time); never close it. A forked worker builds its own (digest_site/process_clients.py)."""
    key = (settings.ARXIV_USER_AGENT, settings.ARXIV_HTTP_TIMEOUT, settings.ARXIV_HTTP_RETRIES,
           settings.ARXIV_HTTP_BACKOFF, settings.ARXIV_API_DELAY)
    return _kept_clients.get(key, ArxivClient)
