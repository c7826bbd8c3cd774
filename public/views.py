"""The public site: published days, papers, categories, search. No login; Chinese interface.

Every page reads published data only (a live publication, dated today or earlier) of one digest
(public/digest_scope.py: the first digest's at the root paths, another's under /d/<slug>/) and
makes a fixed number of queries whatever the size of a day or of the archive.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import re

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Max
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from digest_site.request_numbers import ascii_number
from digests.models import Digest
from public.digest_scope import digest_page, public_digests
from public.page_cache import day_page_cached, day_summary_recent
from public.search import search_published
from publishing.models import DigestDay, Publication, PublishedPaper
from publishing.posts.preview import day_version_history
from publishing.posts.rendering import post_html_parts, render_markdown_safely, render_named_reading_html
from publishing.site_links import digest_path

ARCHIVE_DAYS_PER_PAGE = 31
CATEGORY_PAPERS_PER_PAGE = 30
# Far beyond any archive (3,650 days × 60 papers is 7,300 category pages); bounds the SQL offset.
MAX_PAGE = 100_000
# Public pages run no scripts at all; styles are inline in the base template.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_ARXIV_ID_RE = re.compile(r"^(?P<id>(?:\d{4}\.\d{4,5})|(?:[a-z-]+(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?$")
CATEGORY_RE = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?$")


def public_view(view):
    """Readers only ever GET/HEAD; every response carries the strict policy."""
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
    return require_safe(wrapped)


def _page_number(request) -> int:
    """The ?page= number; anything that is not a page a reader could reach is a 404, never a 500
    (a 20-digit number overflows the database's offset; `²` passes isdigit() but not int())."""
    page = ascii_number(request.GET.get("page", "1"), minimum=1, maximum=MAX_PAGE)
    if page is None:
        raise Http404("no such page")
    return page


def _published_day(digest: Digest, date: dt.date) -> DigestDay:
    day = (
        DigestDay.objects.public(digest)
        .filter(date=date).order_by()
        .select_related("live_publication")
        .only("date", "window_start", "window_end", "live_publication__version", "live_publication__content_hash",
              "live_publication__published_at", "live_publication__paper_count", "live_publication__day_id")
        .first()
    )
    if day is None:
        raise Http404("this day is not published")
    day.digest = digest  # its post title, with no query
    return day


def _conditional(request, response_factory, *, etag: str, last_modified: dt.datetime):
    """Answer If-None-Match / If-Modified-Since with 304 before building the page."""
    timestamp = int(last_modified.timestamp())
    not_modified = get_conditional_response(request, etag=etag, last_modified=timestamp)
    response = not_modified or response_factory()
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(timestamp)
    patch_cache_control(response, public=True, max_age=300)
    return response


@public_view
@digest_page
def archive(request, digest: Digest):
    # The page's days found by their ids alone (the digest's (digest, date) index), then read with their
    # versions: joined before the cut, PostgreSQL hashed every version of every digest (17 ms at 5 × 3,650 days).
    paginator = Paginator(DigestDay.objects.public(digest).order_by("-date").values_list("pk", flat=True),
                          ARCHIVE_DAYS_PER_PAGE)
    try:
        page = paginator.page(_page_number(request))
    except EmptyPage:
        raise Http404("no such page") from None
    days = list(DigestDay.objects.filter(pk__in=list(page.object_list)).order_by("-date")
                .select_related("live_publication")
                .only("date", "live_publication__paper_count", "live_publication__version",
                      "live_publication__published_at"))
    # The first titles of each day, in one query for the whole page.
    titles = {}
    for paper in (
        PublishedPaper.objects.filter(publication_id__in=[day.live_publication_id for day in days], position__lte=3)
        .order_by("position")
        .only("publication_id", "title", "title_zh", "arxiv_id", "position")
    ):
        titles.setdefault(paper.publication_id, []).append(paper)
    for day in days:
        day.first_papers = titles.get(day.live_publication_id, [])
        day.digest = digest
    months = [(month, list(group)) for month, group in itertools.groupby(days, key=lambda day: day.date.replace(day=1))]
    return render(request, "public/archive.html", {
        "digest": digest, "page": page, "months": months, "categories": digest.categories,
        "digest_list": _digest_list() if digest.is_home and digest.several and page.number == 1 else [],
    })


def _digest_list() -> list[Digest]:
    """The site's digests for the root page, each with `latest_date`: its newest public day (one query)."""
    digests = public_digests().digests
    latest = dict(DigestDay.objects.public_in_every_digest(digests).order_by().values("digest_id")
                  .annotate(latest=Max("date")).values_list("digest_id", "latest"))
    return [{"digest": digest, "latest_date": latest.get(digest.pk)} for digest in digests]


def _public_day_summary(digest: Digest, date: dt.date) -> tuple[int, str, dt.datetime, tuple]:
    summary = DigestDay.objects.public_summary(digest, date)
    if summary is None:
        raise Http404("this day is not published")
    return summary


@public_view
@digest_page
def day_page(request, date: dt.date, digest: Digest):
    publication_id, content_hash, published_at, neighbours = day_summary_recent(
        (digest.pk, date), lambda: _public_day_summary(digest, date))
    # The page shows its neighbours too: a copy the reader holds must match them as well.
    etag = '"' + hashlib.sha256(f"{publication_id}|{content_hash}|{neighbours}".encode()).hexdigest()[:24] + '"'

    def render_page() -> bytes:
        day = _published_day(digest, date)
        # The window notes fold away: on a phone the first screen shows the first paper.
        notes_html, papers_html = post_html_parts(
            Publication.objects.values_list("html", flat=True).get(pk=publication_id))
        return render_to_string("public/day.html", {
            "digest": digest, "day": day, "publication": day.live_publication, "notes_html": notes_html,
            "post_html": papers_html, "previous_date": neighbours[0], "next_date": neighbours[1],
        }, request).encode()

    def build():
        # The header names the digest once the site has several: that is part of the page too.
        return HttpResponse(day_page_cached((publication_id, neighbours, digest.several), render_page))
    return _conditional(request, build, etag=etag, last_modified=published_at)


@public_view
@digest_page
def day_markdown(request, date: dt.date, digest: Digest):
    day = _published_day(digest, date)
    publication = day.live_publication

    def build():
        markdown = Publication.objects.values_list("markdown", flat=True).get(pk=publication.pk)
        response = HttpResponse(markdown.encode("utf-8"), content_type="text/markdown; charset=utf-8")
        response.headers["Content-Disposition"] = f'inline; filename="{day.date:%Y-%m-%d}{settings.DIGEST_EXPORT_SUFFIX}.md"'
        return response
    return _conditional(request, build, etag=publication.etag, last_modified=publication.published_at)


@public_view
@digest_page
def paper_page(request, arxiv_id: str, digest: Digest):
    match = _ARXIV_ID_RE.match(arxiv_id)
    if not match:
        raise Http404("not an arXiv id")
    if match.group("id") != arxiv_id:  # a versioned id: the permalink is the id without version
        return HttpResponsePermanentRedirect(digest_path(digest, "paper", match.group("id")))
    appearances = list(
        PublishedPaper.objects.public(digest).filter(arxiv_id=arxiv_id)
        .select_related("publication").defer("publication__markdown", "publication__html")
        .order_by("-day_date")
    )
    if not appearances:
        return _paper_in_another_digest(digest, arxiv_id)
    latest = appearances[0]
    return render(request, "public/paper.html", {
        "digest": digest,
        "paper": latest,
        "appearances": appearances,
        "abstract_html": render_markdown_safely(latest.abstract_zh),
        "reading_html": _reading_html(latest),
        "correction": latest.latest_correction(),
    })


def _paper_in_another_digest(digest: Digest, arxiv_id: str):
    """A paper this digest never published, that another did: its page there (the first such digest). Not
    permanent: this digest may publish it later."""
    others = [other for other in public_digests().digests if other.pk != digest.pk]
    found = (PublishedPaper.objects.public_in_every_digest(others).filter(arxiv_id=arxiv_id)
             .order_by("digest_id").values_list("digest_id", flat=True).first()) if others else None
    if found is None:
        raise Http404("this paper is in no published day")
    return HttpResponseRedirect(digest_path(next(other for other in others if other.pk == found), "paper", arxiv_id))


def _reading_html(paper: PublishedPaper) -> str:
    """The reading's three sections under their names; a row published before the sections were kept
    apart (no revision matched it) shows its reading as one block."""
    if any(section.strip() for section in paper.reading_sections):
        return render_named_reading_html(paper.reading_sections)
    return render_markdown_safely(paper.reading_md)


@public_view
@digest_page
def category_page(request, category: str, digest: Digest):
    if not CATEGORY_RE.match(category):
        raise Http404("not an arXiv category")
    page = _page_number(request)
    start = (page - 1) * CATEGORY_PAPERS_PER_PAGE
    rows = list(
        PublishedPaper.objects.of_category(digest, category, start=start, stop=start + CATEGORY_PAPERS_PER_PAGE + 1)
        .only("arxiv_id", "title", "title_zh", "authors_text", "categories_text", "day_date", "position")
    )
    if not rows and page > 1:
        raise Http404("no such page")
    response = render(request, "public/category.html", {
        "digest": digest, "category": category, "papers": rows[:CATEGORY_PAPERS_PER_PAGE], "page": page,
        "has_next": len(rows) > CATEGORY_PAPERS_PER_PAGE,
    })
    if not rows:
        response.status_code = 404
    return response


@public_view
@digest_page
def search(request, digest: Digest):
    results = search_published(digest, request.GET.get("q", ""), page=_page_number(request))
    return render(request, "public/search.html", {"digest": digest, "results": results})


@public_view
def robots_txt(request):
    # The root sitemap index lists every digest's sections.
    sitemap = request.build_absolute_uri(reverse("public:sitemap"))
    # A reader's own links (confirm, unsubscribe) are nothing to index.
    private = "".join(f"Disallow: {reverse(name, args=['x']).rsplit('x/', 1)[0]}\n"
                      for name in ("public:subscribe_confirm", "public:unsubscribe"))
    return HttpResponse(f"User-agent: *\nDisallow: /admin/\n{private}Sitemap: {sitemap}\n",
                        content_type="text/plain; charset=utf-8")


@public_view
@digest_page
def day_versions(request, date: dt.date, digest: Digest):
    """A corrected day's versions: when each was published, the chief editor's note, what it changed."""
    day = _published_day(digest, date)
    return render(request, "public/day_versions.html", {
        "digest": digest, "day": day, "versions": day_version_history(day=DigestDay.objects.get(pk=day.pk)),
    })
