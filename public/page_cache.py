"""Rendered day pages, kept in each web process's memory.

Pages are keyed by the publication (immutable; of one digest's day) and what else the page shows
(the neighbouring dates it links to, whether its header names the digest). Which publication is live
is asked of the database (one small query) at most every DIGEST_PUBLIC_RECHECK_SECONDS per digest's day
and process (0: on every request), so a process
serves an unpublished or replaced day for at most that long after another process
published; the process that publishes drops its copies at once. Old keys are no longer
asked for and fall out of the bounded LRU. Kept as bytes in a dict rather than in
Django's cache: unpickling a 300 KB page on every hit cost more than the rest of the
request (bench/public.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable

from django.conf import settings

from publishing.models import DigestDay

MAX_PAGES = 32
MAX_SUMMARIES = 4096

_pages: OrderedDict[tuple, bytes] = OrderedDict()
_summaries: OrderedDict[tuple, tuple[float, tuple]] = OrderedDict()
_lock = threading.Lock()


def day_summary_recent(key: tuple, lookup: Callable[[], tuple]) -> tuple:
    """`lookup()` (what the database says is live for the day `key`: its digest's id and its date), reused for
    DIGEST_PUBLIC_RECHECK_SECONDS."""
    window = settings.DIGEST_PUBLIC_RECHECK_SECONDS
    now = time.monotonic()
    if window > 0:
        with _lock:
            checked = _summaries.get(key)
            if checked is not None and now - checked[0] < window:
                return checked[1]
    summary = lookup()  # raises Http404 for a day readers may not see: nothing kept
    if window > 0:
        with _lock:
            _summaries[key] = (now, summary)
            _summaries.move_to_end(key)
            while len(_summaries) > MAX_SUMMARIES:
                _summaries.popitem(last=False)
    return summary


def day_page_cached(key: tuple, render: Callable[[], bytes]) -> bytes:
    """The page `render()` made for `key` (the publication's id first, then what else the page shows)."""
    with _lock:
        body = _pages.get(key)
        if body is not None:
            _pages.move_to_end(key)
            return body
    body = render()
    with _lock:
        _pages[key] = body
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return body


def cached_publication_ids() -> set[int]:
    with _lock:
        return {key[0] for key in _pages}


def public_cache_clear(day: DigestDay | None = None) -> None:
    """Drop the day's cached pages (every page when `day` is None)."""
    with _lock:
        _summaries.clear()  # neighbours' links may change too
        if day is None:
            _pages.clear()
            return
        stale = set(day.publications.values_list("pk", flat=True))
        for key in [key for key in _pages if key[0] in stale]:
            del _pages[key]
