"""Category and sitemap pages make the same few queries whatever the size of the archive, and
still show every public paper exactly once, in order (bench/public.py measures their speed)."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone

from digests.models import Digest
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
    count = PublishedPaper.objects.public(Digest.objects.home()).filter(categories_text__contains=f" {category} ").count()
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
    grow_archive(90, papers=5)
    assert len([url for url in _sitemap_urls(client) if "sitemap-papers" in url]) > 5, "several pages of papers"
    assert _query_counts(client) == small
    assert max(small.values()) <= 4, small


def test_category_pages_show_every_public_paper_once_newest_first(client, grow_archive):
    grow_archive(12, papers=7)
    expected = list(
        PublishedPaper.objects.public(Digest.objects.home()).filter(categories_text__contains=" cs.LG ")
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
        PublishedPaper.objects.public(Digest.objects.home()).order_by("-day_date", "position").values_list("arxiv_id", flat=True)
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


def test_sitemaps_are_written_exactly_as_djangos_templates_write_them(settings):
    from django.contrib.sitemaps.views import SitemapIndexItem
    from django.template.loader import render_to_string

    settings.TIME_ZONE = "Asia/Shanghai"
    urls = [
        {"location": "http://testserver/papers/2601.00001/?a=1&b=<2>", "lastmod": dt.datetime(2026, 1, 9, 20, tzinfo=dt.UTC),
         "changefreq": "never", "priority": "", "alternates": []},
        {"location": "http://testserver/days/2026-01-09/", "lastmod": dt.date(2026, 1, 9), "changefreq": None,
         "priority": "0.5", "alternates": [{"location": "http://testserver/en/x", "lang_code": "en"}]},
        {"location": "http://testserver/x", "lastmod": None, "changefreq": "daily", "priority": "", "alternates": []},
    ]
    sitemaps = [SitemapIndexItem("http://testserver/sitemap-days.xml", dt.datetime(2026, 1, 9, 20, tzinfo=dt.UTC)),
                SitemapIndexItem("http://testserver/sitemap-papers.xml?p=2&x=<>", dt.date(2026, 1, 9)),
                SitemapIndexItem("http://testserver/sitemap-other.xml", None)]
    assert render_to_string("public/sitemap.xml", {"urlset": urls}) == render_to_string("sitemap.xml", {"urlset": urls})
    assert "<lastmod>2026-01-10</lastmod>" in render_to_string("public/sitemap.xml", {"urlset": urls})
    assert render_to_string("public/sitemap_index.xml", {"sitemaps": sitemaps}) \
        == render_to_string("sitemap_index.xml", {"sitemaps": sitemaps})


@pytest.mark.parametrize(("url_name", "sample", "values"), [
    ("public:paper", "0000.00000", ["2601.00001", "hep-th/9901001", "math.GT/0309136", "a b%c?d#e"]),
    ("public:day", "2000-01-01", ["2026-01-09", "1999-12-31"]),
])
def test_sitemap_paths_are_those_reverse_gives(url_name, sample, values):
    from django.urls import reverse

    from public.sitemaps import PathOf

    path_of = PathOf(url_name, sample)
    for value in values:
        assert path_of(value) == reverse(url_name, args=[value])
