"""The sitemap index and its sections, through Django's sitemap views (written out by
public/templatetags/sitemap_xml.py, the same bytes as Django's templates).

Each page is a fixed number of queries and a bounded number of URLs whatever the size of the
archive: Django's defaults (the latest modification read from every item, pages counted and
cut over every paper, a reverse and a template loop per URL) took 0.3 to 0.8 s per page at
3,650 days × 60 papers (docs/benchmarks.md).

Each digest has its own index and sections (/d/<slug>/sitemap.xml; the first digest's at the root),
listing only its own pages; the root index lists every digest's sections (a sitemap index may not
list other indexes).
"""

from urllib.parse import quote

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.http import RFC3986_SUBDELIMS, http_date

from digests.models import Digest
from public.digest_scope import digest_page, public_digests
from publishing.models import DigestDay, PublishedPaper
from publishing.site_links import digest_path


class PathOf:
    """`reverse(url_name, args=[value])` for one argument of many, from a single reverse: the path
    around a sample value, with the value quoted as `reverse` quotes it. (A reverse per URL was a
    third of a sitemap page's time.)"""

    def __init__(self, url_name: str, sample: str, digest: Digest | None = None):
        self.before, self.after = digest_path(digest, url_name, sample).split(sample)

    def __call__(self, value: str) -> str:
        return self.before + quote(value, safe=RFC3986_SUBDELIMS + "/~:@") + self.after


class DaySitemap(Sitemap):
    """Every public day of a digest, newest first, 1,000 per page."""

    changefreq = "never"
    limit = 1000

    def __init__(self, digest: Digest):
        super().__init__()
        self.digest = digest
        self.path_of = PathOf("public:day", "2000-01-01", digest)

    def items(self):
        return DigestDay.objects.public(self.digest).order_by("-date").values("date", "live_publication__published_at")

    def location(self, day):
        return self.path_of(f"{day['date']:%Y-%m-%d}")

    def lastmod(self, day):
        return day["live_publication__published_at"]

    def get_latest_lastmod(self):
        # One aggregate, not every day read (Django's default for a `lastmod` method).
        return DigestDay.objects.public(self.digest).aggregate(latest=Max("live_publication__published_at"))["latest"]


class PapersOfDaysPaginator(Paginator):
    """Pages of whole days: `object_list` is the public days' dates, newest first, and a page holds
    the papers of `per_page` of them.

    Counting and cutting the list of days costs little whatever the archive's size; counting and
    cutting 219,000 papers (an OFFSET that reads every paper before the page) did not.
    """

    def __init__(self, object_list, per_page, *, digest: Digest):
        super().__init__(object_list, per_page)
        self.digest = digest

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        dates = list(self.object_list[bottom:bottom + self.per_page])
        papers = (
            PublishedPaper.objects.public(self.digest).filter(day_date__range=(dates[-1], dates[0]))
            .order_by("-day_date", "position").values("arxiv_id", "day_date")
        ) if dates else PublishedPaper.objects.none()
        return self._get_page(papers, number, self)


class PaperSitemap(Sitemap):
    """Every published paper, in the order of the days it appeared in, read straight from the
    (live, day) index without grouping (a paper published again as a replacement is listed once
    per day it appeared in). A page holds the papers of 14 days (about 840 URLs at 60 papers a day)."""

    changefreq = "never"
    limit = 14  # days per page

    def __init__(self, digest: Digest):
        super().__init__()
        self.digest = digest
        self.path_of = PathOf("public:paper", "0000.00000", digest)

    @property
    def paginator(self):
        return PapersOfDaysPaginator(
            DigestDay.objects.public(self.digest).order_by("-date").values_list("date", flat=True), self.limit,
            digest=self.digest,
        )

    def location(self, paper):
        return self.path_of(paper["arxiv_id"])

    def lastmod(self, paper):
        return paper["day_date"]

    def get_latest_lastmod(self):
        return PublishedPaper.objects.public(self.digest).order_by("-day_date").values_list("day_date", flat=True).first()


SITEMAPS = {"days": DaySitemap, "papers": PaperSitemap}
CONTENT_TYPE = "application/xml"


def _pages(count: int, per_page: int) -> int:
    """Paginator.num_pages for `count` items (an empty list still has its first page)."""
    return max(1, -(-count // per_page))


def _index_items(request, digests) -> list[sitemap_views.SitemapIndexItem]:
    """The digests' sections and their further pages, as Django's index lists them, from one grouped query
    over their public days (four per digest, before: the root's index grew with the digests): the days
    section's pages count days, the papers section's pages hold the papers of `PaperSitemap.limit` days;
    the days' last change is the newest publication, the papers' the newest public day (a day is published
    with its papers)."""
    domain = get_current_site(request).domain
    stats = {row["digest_id"]: row for row in DigestDay.objects.public_in_every_digest(digests).values("digest_id")
             .annotate(days=Count("id"), published=Max("live_publication__published_at"), newest=Max("date"))}
    items = []
    for digest in digests:
        row = stats.get(digest.pk, {"days": 0, "published": None, "newest": None})
        for section, per_page, lastmod in (("days", DaySitemap.limit, row["published"]),
                                           ("papers", PaperSitemap.limit, row["newest"])):
            location = f"{request.scheme}://{domain}{digest_path(digest, 'sitemap_section', section)}"
            items.append(sitemap_views.SitemapIndexItem(location, lastmod))
            items += [sitemap_views.SitemapIndexItem(f"{location}?p={page}", lastmod)
                      for page in range(2, _pages(row["days"], per_page) + 1)]
    return items


@sitemap_views.x_robots_tag
@digest_page
def sitemap_index(request, digest: Digest):
    """Django's sitemap index (its Last-Modified the newest section's): a digest's own sections, and at the root
    (the first digest's) every digest's."""
    digests = public_digests().digests if digest.is_home else (digest,)
    items = _index_items(request, sorted(digests, key=lambda each: not each.is_home))
    lastmods = [item.last_mod for item in items]
    headers = None
    if lastmods and None not in lastmods:
        latest = max(sitemap_views._get_latest_lastmod(None, lastmod) for lastmod in lastmods)
        headers = {"Last-Modified": http_date(latest.timestamp())}
    return TemplateResponse(request, "public/sitemap_index.xml", {"sitemaps": items}, content_type=CONTENT_TYPE,
                            headers=headers)


@digest_page
def sitemap_section(request, section: str, digest: Digest):
    """A section of a digest's sitemap (Django's view, on the digest's sections)."""
    if section not in SITEMAPS:
        raise Http404(f"no sitemap section {section!r}")
    return sitemap_views.sitemap(request, {section: SITEMAPS[section](digest)}, section=section,
                                 template_name="public/sitemap.xml")
