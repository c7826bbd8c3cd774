"""What readers may see is one rule (a live publication, dated today or earlier), and every public
URL kind obeys it: pages, search, feeds, sitemaps, the raw markdown and the export.

The test publishes three days whose papers carry unique marks: one readers may see, one
published but dated in the future, one published and then unpublished. It then walks every
URL a reader (or a crawler following the sitemaps) can reach and fails if a hidden day's
mark shows anywhere, and if the visible day's mark is missing (so the walk really looks).
"""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command

from digests.models import Digest
from public.page_cache import public_cache_clear
from publishing.days.windows import current_digest_date
from publishing.models import DigestDay, PublishedPaper
from publishing.posts.publication import day_publish, day_unpublish
from tests.builders import DEMO_DATE, another_day_approved, approve_all, edit

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _marked_day(date, template, editor, chief, capture, *, mark: str) -> DigestDay:
    """A published day of one paper whose English and Chinese titles carry `mark` (one day per month: ids are yymm.7nnnn)."""
    day = another_day_approved(date, template, editor)
    entry = day.entries.select_related("paper").get()
    paper = entry.paper
    paper.title = f"{mark} spectral vocoder study"
    paper.save(update_fields=["title"])
    edit(entry, editor, capture, title_zh=f"{mark}频谱声码器研究", abstract_zh=f"{mark}的中文摘要。")
    approve_all(day, editor)
    with capture(execute=True):
        day_publish(day=day, user=chief)
    return day


@pytest.fixture
def three_days(published_day, editor, chief, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    visible = _marked_day(DEMO_DATE - dt.timedelta(days=40), published_day, editor, chief, capture, mark="Seenmark")
    future = _marked_day(current_digest_date() + dt.timedelta(days=2), published_day, editor, chief, capture,
                         mark="Futuremark")
    withdrawn = _marked_day(DEMO_DATE - dt.timedelta(days=70), published_day, editor, chief, capture, mark="Gonemark")
    with capture(execute=True):
        day_unpublish(day=withdrawn, user=chief)
    public_cache_clear()
    return visible, future, withdrawn


def _paper_id(day: DigestDay) -> str:
    return day.entries.get().paper.arxiv_id


def _sitemap_locations(client) -> list[str]:
    """Every URL the sitemap index leads to, following its sections."""
    index = ET.fromstring(client.get("/sitemap.xml").content)
    locations = []
    for section in index.iter(f"{SITEMAP}loc"):
        body = client.get(section.text.replace("http://testserver", "")).content
        locations += [loc.text.replace("http://testserver", "") for loc in ET.fromstring(body).iter(f"{SITEMAP}loc")]
    return locations


def _reader_urls(client, days) -> list[str]:
    """Every kind of public URL, for every day and paper there is (hidden ones included)."""
    urls = ["/", "/?page=2", "/feed/", "/feed.json", "/sitemap.xml", "/robots.txt"]
    for section in ("days", "papers"):
        urls.append(f"/sitemap-{section}.xml")
    for day in DigestDay.objects.all():
        urls += [f"/days/{day.date:%Y-%m-%d}/", f"/days/{day.date:%Y-%m-%d}.md", f"/days/{day.date:%Y-%m-%d}/versions/"]
        for entry in day.entries.select_related("paper"):
            urls.append(f"/papers/{entry.paper.arxiv_id}/")
            urls.append(f"/papers/{entry.paper.arxiv_id}v1/")
    for category in ("cs.SD", "eess.AS", "cs.LG"):
        urls += [f"/categories/{category}/", f"/categories/{category}/?page=2", f"/categories/{category}/feed/",
                 f"/categories/{category}/feed.json"]
    for query in ("spectral vocoder", "声码器", "频谱声码器研究", "中文摘要", "Seenmark", "Futuremark", "Gonemark",
                  "Futuremark频谱", "Gonemark的中文摘要"):
        urls.append(f"/search/?q={query}")
    return urls + _sitemap_locations(client)


def _walk(client, urls) -> dict[str, str]:
    pages = {}
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code in (200, 404), (url, response.status_code)
        body = response.content.decode("utf-8", "replace")
        if "?q=" in url:  # the search page repeats the query itself; only its results count
            body = body.replace(url.split("?q=", 1)[1], "")
        pages[url] = body
    return pages


def test_no_public_url_shows_a_future_or_unpublished_day(client, three_days, tmp_path):
    visible, future, withdrawn = three_days
    pages = _walk(client, _reader_urls(client, three_days))

    hidden = ("Futuremark", "Gonemark", _paper_id(future), _paper_id(withdrawn),
              f"{future.date:%Y-%m-%d}", f"{withdrawn.date:%Y-%m-%d}")
    leaks = [(url, mark) for url, body in pages.items() for mark in hidden if mark in body]
    assert not leaks
    # The walk sees what it should: the visible day's paper on every kind of page.
    for url in ("/", "/feed/", "/feed.json", "/categories/cs.SD/feed/", f"/days/{visible.date:%Y-%m-%d}/", f"/days/{visible.date:%Y-%m-%d}.md",
                f"/papers/{_paper_id(visible)}/", "/search/?q=spectral vocoder", "/search/?q=频谱声码器研究", "/categories/cs.SD/"):
        assert "Seenmark" in pages[url], url
    assert f"/papers/{_paper_id(visible)}/" in pages["/sitemap-papers.xml"]

    # The export (the Jekyll site's copy) follows the same rule.
    call_command("export_markdown", "--all", "--out", str(tmp_path))
    exported = "\n".join(path.read_text() for path in tmp_path.glob("*.md"))
    assert "Seenmark" in exported and not re.search("Futuremark|Gonemark", exported)


def test_the_rule_is_one_queryset_per_model(three_days):
    visible, future, withdrawn = three_days
    public_dates = set(DigestDay.objects.public(Digest.objects.home()).values_list("date", flat=True))
    assert visible.date in public_dates and future.date not in public_dates and withdrawn.date not in public_dates
    public_papers = set(PublishedPaper.objects.public(Digest.objects.home()).values_list("arxiv_id", flat=True))
    assert _paper_id(visible) in public_papers
    assert not {_paper_id(future), _paper_id(withdrawn)} & public_papers
    # A future day becomes public on its date, with no publish needed.
    future.refresh_from_db()
    assert future.is_public is False
