"""Which public URLs a change of a day touches, and where each URL's file is.

Each digest's pages have their files under its own path (/d/<slug>/…), the first digest's at the root's.
Only URLs with no query string are written: the first page of the archive, of a category and of a sitemap
section; their further pages (`?page=`, `?p=`) and search stay with the views. A URL ending in `/` is the
file `index.html` in the folder of that path, whatever the page's kind (the servers give feeds their type by
URL, `content_type_of`); any other URL is the file of its own name (`feed.json`, `sitemap.xml`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.urls import reverse

from digests.models import Digest
from public.views import CATEGORY_RE
from publishing.models import DigestDay, PublishedPaper, PublishedPaperCategory
from publishing.site_links import digest_path

INDEX_FILE = "index.html"
# The types the views answer with; the servers of the files must say the same (a test compares them).
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
SITEMAP = "application/xml"


def content_type_of(url: str) -> str:
    if url.endswith("/feed/"):
        return ATOM
    if url.endswith("/feed.json"):
        return JSON_FEED
    if url.endswith(".xml"):
        return SITEMAP
    return HTML


def file_of(root: Path, url: str) -> Path:
    """The file of a URL path (`/days/2026-01-09/` → ROOT/days/2026-01-09/index.html)."""
    relative = url.lstrip("/")
    return root / (relative + INDEX_FILE if url.endswith("/") else relative)


def _feed_urls(digest: Digest) -> list[str]:
    return [digest_path(digest, "feed"), digest_path(digest, "feed_json")]


def site_wide_urls(digest: Digest) -> list[str]:
    """Pages every change of a digest's day may alter: the digest's archive first page, its feeds, its sitemaps'
    first pages, and the root's archive and sitemap index (they list every digest). The feeds only while some
    day is public: an empty feed says it was updated when it was rendered (Django's feed with no entry), so
    no file could hold what the view answers."""
    feeds = _feed_urls(digest) if DigestDay.objects.public(digest).exists() else []
    return list(dict.fromkeys([
        digest_path(digest, "archive"), *feeds, digest_path(digest, "sitemap"),
        *(digest_path(digest, "sitemap_section", section) for section in ("days", "papers")),
        reverse("public:archive"), reverse("public:sitemap"),
    ]))


def site_wide_urls_to_remove(digest: Digest) -> list[str]:
    """The digest's feeds' files once none of its days is public (see `site_wide_urls`)."""
    return [] if DigestDay.objects.public(digest).exists() else _feed_urls(digest)


def day_urls(digest: Digest, date: dt.date) -> list[str]:
    return [digest_path(digest, "day", date)]


def paper_urls(digest: Digest, arxiv_ids: Iterable[str]) -> Iterator[str]:
    for arxiv_id in arxiv_ids:
        yield digest_path(digest, "paper", arxiv_id)


def category_urls(digest: Digest, categories: Iterable[str]) -> Iterator[str]:
    for category in categories:
        if CATEGORY_RE.match(category):
            yield from (digest_path(digest, name, category) for name in ("category", "category_feed", "category_feed_json"))


def neighbour_dates(digest: Digest, date: dt.date) -> list[dt.date]:
    """The digest's public days just before and after `date`, whose pages link to it (or now to each other)."""
    public = DigestDay.objects.public(digest)
    before = public.filter(date__lt=date).order_by("-date").values_list("date", flat=True).first()
    after = public.filter(date__gt=date).order_by("date").values_list("date", flat=True).first()
    return [found for found in (before, after) if found is not None]


def urls_of_day_change(day: DigestDay) -> tuple[list[str], list[str]]:
    """Every file a publish, unpublish or correction of `day` may change, as (URLs to render, URLs whose file
    goes): the day's page and its neighbours', the page of each paper any of the day's versions held, each
    of their categories' page and feeds, and the site-wide pages, all of the day's digest. (Each is rendered
    again; a file whose bytes did not change is left alone.)

    A category left with no public paper loses its files: its page is the view's 404, and its feeds,
    empty, would carry the time they were rendered (Django's feed is "updated" now when it has no entry).
    """
    digest = day.digest
    arxiv_ids = (PublishedPaper.objects.filter(publication__day=day).order_by("arxiv_id")
                 .values_list("arxiv_id", flat=True).distinct())
    categories = set(PublishedPaperCategory.objects.filter(published_paper__publication__day=day)
                     .values_list("category", flat=True).distinct())
    still_public = set(PublishedPaperCategory.objects.public(digest).filter(category__in=categories)
                       .values_list("category", flat=True).distinct())
    urls = [*day_urls(digest, day.date)]
    for date in neighbour_dates(digest, day.date):
        urls += day_urls(digest, date)
    return ([*urls, *paper_urls(digest, arxiv_ids), *category_urls(digest, sorted(still_public)),
             *site_wide_urls(digest)],
            [*category_urls(digest, sorted(categories - still_public)), *site_wide_urls_to_remove(digest)])


def urls_of_archive() -> Iterator[str]:
    """Every URL with a file in a whole archive: of each digest, each public day, paper and category, and the
    site-wide pages (a digest's under its own prefix, the first digest's at the root)."""
    for digest in Digest.objects.order_by("pk"):
        yield from site_wide_urls(digest)
        for date in DigestDay.objects.public(digest).order_by("-date").values_list("date", flat=True).iterator():
            yield from day_urls(digest, date)
        yield from category_urls(digest, PublishedPaperCategory.objects.public(digest).order_by("category")
                                 .values_list("category", flat=True).distinct())
        yield from paper_urls(digest, PublishedPaper.objects.public(digest).order_by("arxiv_id")
                              .values_list("arxiv_id", flat=True).distinct().iterator())


def archive_url_count() -> int:
    """How many URLs `urls_of_archive` gives, each counted once (the root's pages are site-wide for every digest)."""
    digests = list(Digest.objects.order_by("pk"))
    site_wide = {url for digest in digests for url in site_wide_urls(digest)}
    return len(site_wide) + sum(
        DigestDay.objects.public(digest).count()
        + 3 * PublishedPaperCategory.objects.public(digest).values("category").distinct().count()
        + PublishedPaper.objects.public(digest).values("arxiv_id").distinct().count()
        for digest in digests)
