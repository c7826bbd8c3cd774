"""Category and sitemap pages make the same few queries whatever the size of the archive, and
still show every public paper exactly once, in order (bench/public.py measures their speed)."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone

from public.page_cache import public_cache_clear
from public.sitemaps import PaperSitemap
from public.views import CATEGORY_PAPERS_PER_PAGE
from publishing.days.windows import current_digest_date
from publishing.models import Publication, PublishedPaper
from tests.builders import archive_bulk_published

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PAPER_LINK = re.compile(r'<a href="/papers/([^"]+)/"><strong>')


def _dates(first_days_ago: int, count: int) -> list[dt.date]:
    today = current_digest_date()
    return [today - dt.timedelta(days=first_days_ago + n) for n in range(count)]


@pytest.fixture
def grow_archive(db):
    """Adds public days going back in time, plus, each time, a day dated in the future and an
    unpublished one (neither may show)."""
    added = [0]

    def grow(days: int, *, papers: int):
        archive_bulk_published(_dates(1 + added[0], days), papers=papers)
        added[0] += days
        archive_bulk_published(_dates(1 + added[0], 1), papers=papers, live=False)
        archive_bulk_published([current_digest_date() + dt.timedelta(days=added[0] + 1)], papers=papers)
        added[0] += 1
    return grow


def _queries(client, url: str, status: int = 200) -> int:
    public_cache_clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == status, url
    return len(queries)


def _category_urls(category: str) -> tuple[str, str]:
    count = PublishedPaper.objects.public().filter(categories_text__contains=f" {category} ").count()
    last = -(-count // CATEGORY_PAPERS_PER_PAGE)
    return f"/categories/{category}/", f"/categories/{category}/?page={last}"


def _sitemap_urls(client) -> list[str]:
    index = ET.fromstring(client.get("/sitemap.xml").content)
    return [loc.text.replace("http://testserver", "") for loc in index.iter(f"{SITEMAP}loc")]


def _query_counts(client) -> dict[str, int]:
    first, last = _category_urls("eess.AS")
    sections = _sitemap_urls(client)
    papers = [url for url in sections if "sitemap-papers" in url]
    return {
        "category, first page": _queries(client, first),
        "category, last page": _queries(client, last),
        "category, no papers": _queries(client, "/categories/math.AG/", status=404),
        "category feed": _queries(client, "/categories/cs.LG/feed/"),
        "sitemap index": _queries(client, "/sitemap.xml"),
        "sitemap days": _queries(client, "/sitemap-days.xml"),
        "sitemap papers, first": _queries(client, papers[0]),
        "sitemap papers, last": _queries(client, papers[-1]),
    }


def test_category_and_sitemap_queries_do_not_grow_with_the_archive(client, grow_archive):
    grow_archive(3, papers=2)
    small = _query_counts(client)
    grow_archive(60, papers=9)
    assert len([url for url in _sitemap_urls(client) if "sitemap-papers" in url]) > 5, "several pages of papers"
    assert _query_counts(client) == small
    assert max(small.values()) <= 4, small


def test_category_pages_show_every_public_paper_once_newest_first(client, grow_archive):
    grow_archive(12, papers=7)
    expected = list(
        PublishedPaper.objects.public().filter(categories_text__contains=" cs.LG ")
        .order_by("-day_date", "position").values_list("arxiv_id", flat=True)
    )
    shown, page = [], 1
    while True:
        html = client.get(f"/categories/cs.LG/?page={page}").content.decode()
        shown += PAPER_LINK.findall(html)
        if "较早 →" not in html:
            break
        page += 1
    assert page == -(-len(expected) // CATEGORY_PAPERS_PER_PAGE) > 1
    assert shown == expected
    assert client.get(f"/categories/cs.LG/?page={page + 1}").status_code == 404


def test_paper_sitemap_pages_list_every_public_paper_once_newest_first(client, grow_archive):
    grow_archive(20, papers=4)
    expected = [
        f"/papers/{arxiv_id}/" for arxiv_id in
        PublishedPaper.objects.public().order_by("-day_date", "position").values_list("arxiv_id", flat=True)
    ]
    sections = [url for url in _sitemap_urls(client) if "sitemap-papers" in url]
    assert len(sections) == -(-20 // PaperSitemap.limit)
    listed = []
    for section in sections:
        body = ET.fromstring(client.get(section).content)
        listed += [loc.text.replace("http://testserver", "") for loc in body.iter(f"{SITEMAP}loc")]
    assert listed == expected
    assert client.get(f"/sitemap-papers.xml?p={len(sections) + 1}").status_code == 404


def test_sitemap_index_dates_each_section_by_its_newest_public_item(client, grow_archive):
    grow_archive(5, papers=2)
    corrected = dt.datetime(2030, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    Publication.objects.filter(day__date=current_digest_date() - dt.timedelta(days=3)).update(published_at=corrected)
    Publication.objects.filter(day__date__gt=current_digest_date()).update(published_at=corrected + dt.timedelta(days=1))
    index = ET.fromstring(client.get("/sitemap.xml").content)
    lastmods = {sitemap.find(f"{SITEMAP}loc").text: sitemap.find(f"{SITEMAP}lastmod").text
                for sitemap in index.iter(f"{SITEMAP}sitemap")}
    newest = current_digest_date() - dt.timedelta(days=1)
    assert lastmods["http://testserver/sitemap-papers.xml"] == f"{newest:%Y-%m-%d}"
    assert lastmods["http://testserver/sitemap-days.xml"] == dateformat.format(timezone.localtime(corrected), "c")
