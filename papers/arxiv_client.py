"""The HTTP client every arXiv request goes through.

arXiv asks API clients to identify themselves, to wait 3 seconds between calls
and to back off when told to; this client does all three, and turns every
failure into an `ArxivHTTPError` with a one-line message.
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

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER_SECONDS = 300.0

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
    ) -> None:
        self.user_agent = user_agent or settings.ARXIV_USER_AGENT
        self.timeout = settings.ARXIV_HTTP_TIMEOUT if timeout is None else timeout
        self.retries = settings.ARXIV_HTTP_RETRIES if retries is None else retries
        self.backoff = settings.ARXIV_HTTP_BACKOFF if backoff is None else backoff
        self.delay = settings.ARXIV_API_DELAY if delay is None else delay
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
        """GET `url`; retry 429, 5xx, timeouts and connection errors with backoff; return the body."""
        shown_url = str(httpx.URL(url, params=params))
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            self._wait_politely()
            self.requests_made += 1
            try:
                response = self._http.get(url, params=params)
            except httpx.TimeoutException:
                problem, wait = f"timed out after {self.timeout:g} s", None
            except httpx.TransportError as exc:
                problem, wait = f"connection failed ({exc.__class__.__name__}: {exc})", None
            except httpx.HTTPError as exc:  # e.g. a redirect loop or an undecodable body: not worth retrying
                raise ArxivHTTPError(f"arXiv request to {shown_url} failed ({exc.__class__.__name__}: {exc})") from None
            else:
                if response.status_code < 400:
                    return response.content
                problem = f"answered HTTP {response.status_code}"
                if response.status_code not in RETRYABLE_STATUSES:
                    raise ArxivHTTPError(
                        f"arXiv {problem} for {shown_url}", status=response.status_code, body=response.content
                    )
                wait = _retry_after_seconds(response)
                if attempt == attempts:
                    raise ArxivHTTPError(
                        f"arXiv {problem} for {shown_url} ({attempts} attempts)",
                        status=response.status_code,
                        body=response.content,
                    )
            if attempt == attempts:
                raise ArxivHTTPError(f"arXiv {problem} for {shown_url} ({attempts} attempts)")
            wait = self.backoff * 2 ** (attempt - 1) if wait is None else wait
            logger.warning("arXiv %s for %s; retrying in %.1f s (attempt %d of %d)", problem, shown_url, wait, attempt, attempts)
            self._sleep(wait)
        raise AssertionError("unreachable")
