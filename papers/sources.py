"""Where papers come from: the arXiv API, the announcement feed, or saved files.

Each source returns a `SourceResult` (the parsed papers and what was asked) or
raises `SourceError` with a one-line message. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.conf import settings

from papers.arxiv_client import ArxivClient, ArxivHTTPError
from papers.feeds import FeedError, FeedPaper, ParsedFeed, parse_feed

# Called with (entries received so far, entries expected or None).
Progress = Callable[[int, int | None], None]


class SourceError(Exception):
    """The source could not deliver usable papers; the message says why, in one line."""


@dataclass
class SourceResult:
    source: str
    papers: list[FeedPaper] = field(default_factory=list)
    # URLs asked or files read, for the fetch's audit record.
    requests: list[str] = field(default_factory=list)
    formats: set[str] = field(default_factory=set)
    # Entries left out (papers.feeds.EntryRefused), one line each, for the fetch's record.
    refused: list[str] = field(default_factory=list)


def _no_progress(received: int, expected: int | None) -> None:
    return None


def api_search_query(categories: Sequence[str], since: dt.datetime, until: dt.datetime) -> str:
    """`(cat:A OR cat:B) AND lastUpdatedDate:[FROM TO UNTIL]`, times in GMT as arXiv expects.

    lastUpdatedDate, not submittedDate: it finds new papers (v1: updated == published)
    and new versions of papers already stored, so those get updated too.
    """
    stamp = "%Y%m%d%H%M"
    category_clause = " OR ".join(f"cat:{category}" for category in categories)
    since_utc, until_utc = since.astimezone(dt.UTC), until.astimezone(dt.UTC)
    return f"({category_clause}) AND lastUpdatedDate:[{since_utc:{stamp}} TO {until_utc:{stamp}}]"


def _parse_or_explain(content: bytes, where: str) -> ParsedFeed:
    try:
        return parse_feed(content)
    except FeedError as exc:
        raise SourceError(f"{where}: {exc}") from None


def _http_error_message(exc: ArxivHTTPError) -> str:
    """Prefer the error arXiv wrote in the body (the API answers 400 with an Atom error entry)."""
    if exc.body:
        try:
            parse_feed(exc.body)
        except FeedError as feed_error:
            # Only an error arXiv wrote (API error entry, RSS error feed); not e.g. "malformed XML: syntax error".
            if str(feed_error).startswith(("arXiv API error:", "arXiv RSS error:")):
                return f"{exc} — {feed_error}"
    return str(exc)


def fetch_from_api(
    *,
    categories: Sequence[str],
    since: dt.datetime,
    until: dt.datetime,
    client: ArxivClient | None = None,
    page_size: int | None = None,
    empty_page_retries: int | None = None,
    progress: Progress = _no_progress,
) -> SourceResult:
    """Page through the API's answer for the categories and date range.

    Steps: ask for `page_size` results from `start`; add what came back; stop when
    `start` reaches totalResults. arXiv sometimes answers a page in the middle of
    a result set with no entries: that page is asked again (after the polite
    delay), up to `empty_page_retries` times, and only then is the fetch failed.
    """
    page_size = page_size or settings.ARXIV_API_PAGE_SIZE
    empty_page_retries = settings.ARXIV_EMPTY_PAGE_RETRIES if empty_page_retries is None else empty_page_retries
    owns_client = client is None
    client = client or ArxivClient()
    result = SourceResult(source="api", formats={"api"})
    query = api_search_query(categories, since, until)
    start, total, empty_retries_left = 0, None, empty_page_retries
    try:
        while True:
            params = {
                "search_query": query,
                "start": start,
                "max_results": page_size,
                "sortBy": "lastUpdatedDate",
                "sortOrder": "descending",
            }
            try:
                content = client.get(settings.ARXIV_API_URL, params=params)
            except ArxivHTTPError as exc:
                raise SourceError(_http_error_message(exc)) from None
            page_url = str(httpx.URL(settings.ARXIV_API_URL, params=params))
            if page_url not in result.requests:
                result.requests.append(page_url)
            # A blank 200 answer is another form of arXiv's empty-page glitch: asked again below.
            page = _parse_or_explain(content, f"arXiv API page at start={start}") if content.strip() else ParsedFeed("api")
            if page.format != "api":
                raise SourceError(f"arXiv API page at start={start}: expected an API answer, got a {page.format} feed")
            # Keep the largest total seen: a glitching empty page may claim totalResults 0.
            total = max(total or 0, page.total_results or 0)
            result.refused.extend(page.refused)
            if not page.papers and not page.refused:
                if start < total:
                    if empty_retries_left == 0:
                        raise SourceError(
                            f"arXiv API kept answering an empty page at start={start} of {total} results "
                            f"({empty_page_retries + 1} tries); try again later"
                        )
                    empty_retries_left -= 1
                    continue
                break
            empty_retries_left = empty_page_retries
            result.papers.extend(page.papers)
            start += len(page.papers) + len(page.refused)
            progress(len(result.papers), total)
            if start >= total:
                break
    finally:
        if owns_client:
            client.close()
    return result


def rss_feed_url(categories: Sequence[str]) -> str:
    return f"{settings.ARXIV_RSS_URL.rstrip('/')}/{'+'.join(categories)}"


def fetch_from_rss(
    *, categories: Sequence[str], client: ArxivClient | None = None, progress: Progress = _no_progress
) -> SourceResult:
    url = rss_feed_url(categories)
    owns_client = client is None
    client = client or ArxivClient()
    try:
        content = client.get(url)
    except ArxivHTTPError as exc:
        raise SourceError(_http_error_message(exc)) from None
    finally:
        if owns_client:
            client.close()
    feed = _parse_or_explain(content, f"arXiv RSS feed {url}")
    if feed.format == "api":
        raise SourceError(f"arXiv RSS feed {url}: expected an announcement feed, got an API answer")
    progress(len(feed.papers), len(feed.papers))
    return SourceResult(source="rss", papers=feed.papers, requests=[url], formats={feed.format}, refused=feed.refused)


# A saved API page of 2,000 entries is about 10 MB; the read stops past this.
MAX_FEED_FILE_BYTES = 64_000_000


class FileTooLarge(Exception):
    pass


def file_read_limited(path: str | Path, *, limit: int) -> bytes:
    """The file's bytes, reading at most `limit` + 1 of them: a device like /dev/zero never ends,
    and a file far larger than any real input is refused before it fills the memory."""
    with open(path, "rb") as handle:
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise FileTooLarge(f"{path} is larger than {limit // 1_000_000 or limit} {'MB' if limit >= 1_000_000 else 'bytes'}")
    return content


def read_files(paths: Sequence[str | Path], *, progress: Progress = _no_progress) -> SourceResult:
    """Parse saved API answers or announcement feeds, in order; any unreadable file fails them all."""
    result = SourceResult(source="file")
    for path in map(Path, paths):
        try:
            content = file_read_limited(path, limit=MAX_FEED_FILE_BYTES)
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
        except FileTooLarge as exc:
            raise SourceError(f"{exc}; not a saved arXiv answer or feed") from None
        feed = _parse_or_explain(content, str(path))
        result.papers.extend(feed.papers)
        result.refused.extend(f"{path}: {refused}" for refused in feed.refused)
        result.requests.append(str(path.resolve()))
        result.formats.add(feed.format)
        progress(len(result.papers), None)
    return result
