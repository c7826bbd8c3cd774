"""The sitemap index and its sections, through Django's sitemap views (written out by
public/templatetags/sitemap_xml.py, the same bytes as Django's templates).

Each page is a fixed number of queries and a bounded number of URLs whatever the size of the
archive: Django's defaults (the latest modification read from every item, pages counted and
cut over every paper, a reverse and a template loop per URL) took 0.3 to 0.8 s per page at
3,650 days × 60 papers (docs/benchmarks.md).
"""

from urllib.parse import quote

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from publishing.models import DigestDay, PublishedPaper


class PathOf:
    """`reverse(url_name, args=[value])` for one argument of many, from a single reverse: the path
    around a sample value, with the value quoted as `reverse` quotes it. (A reverse per URL was a
    third of a sitemap page's time.)"""

    def __init__(self, url_name: str, sample: str):
        self.before, self.after = reverse(url_name, args=[sample]).split(sample)

    def __call__(self, value: str) -> str:
        return self.before + quote(value, safe=RFC3986_SUBDELIMS + "/~:@") + self.after


class DaySitemap(Sitemap):
    """Every public day, newest first, 1,000 per page."""

    changefreq = "never"
    limit = 1000

    def __init__(self):
        super().__init__()
        self.path_of = PathOf("public:day", "2000-01-01")

    def items(self):
        return DigestDay.objects.public().order_by("-date").values("date", "live_publication__published_at")

    def location(self, day):
        return self.path_of(f"{day['date']:%Y-%m-%d}")

    def lastmod(self, day):
        return day["live_publication__published_at"]

    def get_latest_lastmod(self):
        # One aggregate, not every day read (Django's default for a `lastmod` method).
        return DigestDay.objects.public().aggregate(latest=Max("live_publication__published_at"))["latest"]


class PapersOfDaysPaginator(Paginator):
    """Pages of whole days: `object_list` is the public days' dates, newest first, and a page holds
    the papers of `per_page` of them.

    Counting and cutting the list of days costs little whatever the archive's size; counting and
    cutting 219,000 papers (an OFFSET that reads every paper before the page) did not.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        dates = list(self.object_list[bottom:bottom + self.per_page])
        papers = (
            PublishedPaper.objects.public().filter(day_date__range=(dates[-1], dates[0]))
            .order_by("-day_date", "position").values("arxiv_id", "day_date")
        ) if dates else PublishedPaper.objects.none()
        return self._get_page(papers, number, self)


class PaperSitemap(Sitemap):
    """Every published paper, in the order of the days it appeared in, read straight from the
    (live, day) index without grouping (a paper published again as a replacement is listed once
    per day it appeared in). A page holds the papers of 14 days (about 840 URLs at 60 papers a day)."""

    changefreq = "never"
    limit = 14  # days per page

    def __init__(self):
        super().__init__()
        self.path_of = PathOf("public:paper", "0000.00000")

    @property
    def paginator(self):
        return PapersOfDaysPaginator(
            DigestDay.objects.public().order_by("-date").values_list("date", flat=True), self.limit
        )

    def location(self, paper):
        return self.path_of(paper["arxiv_id"])

    def lastmod(self, paper):
        return paper["day_date"]

    def get_latest_lastmod(self):
        return PublishedPaper.objects.public().order_by("-day_date").values_list("day_date", flat=True).first()


SITEMAPS = {"days": DaySitemap, "papers": PaperSitemap}
