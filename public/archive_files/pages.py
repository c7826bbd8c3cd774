"""Which public URLs a change of a day touches, and where each URL's file is.

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

from public.views import CATEGORY_RE
from publishing.models import DigestDay, PublishedPaper, PublishedPaperCategory

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


def _feed_urls() -> list[str]:
    return [reverse("public:feed"), reverse("public:feed_json")]


def site_wide_urls() -> list[str]:
    """Pages every change may alter: the archive's first page, the feeds, the sitemaps' first pages. The
    feeds only while some day is public: an empty feed says it was updated when it was rendered (Django's
    feed with no entry), so no file could hold what the view answers."""
    feeds = _feed_urls() if DigestDay.objects.public().exists() else []
    return [reverse("public:archive"), *feeds, reverse("public:sitemap"),
            *(reverse("public:sitemap_section", args=[section]) for section in ("days", "papers"))]


def site_wide_urls_to_remove() -> list[str]:
    """The feeds' files once no day is public (see `site_wide_urls`)."""
    return [] if DigestDay.objects.public().exists() else _feed_urls()


def day_urls(date: dt.date) -> list[str]:
    return [reverse("public:day", args=[date])]


def paper_urls(arxiv_ids: Iterable[str]) -> Iterator[str]:
    for arxiv_id in arxiv_ids:
        yield reverse("public:paper", args=[arxiv_id])


def category_urls(categories: Iterable[str]) -> Iterator[str]:
    for category in categories:
        if CATEGORY_RE.match(category):
            yield from (reverse(name, args=[category])
                        for name in ("public:category", "public:category_feed", "public:category_feed_json"))


def neighbour_dates(date: dt.date) -> list[dt.date]:
    """The public days just before and after `date`, whose pages link to it (or now to each other)."""
    public = DigestDay.objects.public()
    before = public.filter(date__lt=date).order_by("-date").values_list("date", flat=True).first()
    after = public.filter(date__gt=date).order_by("date").values_list("date", flat=True).first()
    return [found for found in (before, after) if found is not None]


def urls_of_day_change(day: DigestDay) -> tuple[list[str], list[str]]:
    """Every file a publish, unpublish or correction of `day` may change, as (URLs to render, URLs whose file
    goes): the day's page and its neighbours', the page of each paper any of the day's versions held, each
    of their categories' page and feeds, and the site-wide pages. (Each is rendered again; a file whose
    bytes did not change is left alone.)

    A category left with no public paper loses its files: its page is the view's 404, and its feeds,
    empty, would carry the time they were rendered (Django's feed is "updated" now when it has no entry).
    """
    arxiv_ids = (PublishedPaper.objects.filter(publication__day=day).order_by("arxiv_id")
                 .values_list("arxiv_id", flat=True).distinct())
    categories = set(PublishedPaperCategory.objects.filter(published_paper__publication__day=day)
                     .values_list("category", flat=True).distinct())
    still_public = set(PublishedPaperCategory.objects.public().filter(category__in=categories)
                       .values_list("category", flat=True).distinct())
    urls = [*day_urls(day.date)]
    for date in neighbour_dates(day.date):
        urls += day_urls(date)
    return ([*urls, *paper_urls(arxiv_ids), *category_urls(sorted(still_public)), *site_wide_urls()],
            [*category_urls(sorted(categories - still_public)), *site_wide_urls_to_remove()])


def urls_of_archive() -> Iterator[str]:
    """Every URL with a file in a whole archive: each public day, paper and category, and the site-wide pages."""
    yield from site_wide_urls()
    for date in DigestDay.objects.public().order_by("-date").values_list("date", flat=True).iterator():
        yield from day_urls(date)
    yield from category_urls(PublishedPaperCategory.objects.public().order_by("category")
                             .values_list("category", flat=True).distinct())
    yield from paper_urls(PublishedPaper.objects.public().order_by("arxiv_id").values_list("arxiv_id", flat=True)
                          .distinct().iterator())


def archive_url_count() -> int:
    return (len(site_wide_urls()) + DigestDay.objects.public().count()
            + 3 * PublishedPaperCategory.objects.public().values("category").distinct().count()
            + PublishedPaper.objects.public().values("arxiv_id").distinct().count())
