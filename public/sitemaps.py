"""The sitemap index and its sections, through Django's sitemap views.

Each page is a fixed number of queries and a bounded number of URLs whatever the size of the
archive: Django's defaults (the latest modification read from every item, pages counted and
cut over every paper) took 0.3 to 0.8 s per page at 3,650 days × 60 papers (docs/benchmarks.md).
"""

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max
from django.urls import reverse

from publishing.models import DigestDay, PublishedPaper


class DaySitemap(Sitemap):
    """Every public day. Pages of 500: rendering a URL through Django's sitemap template costs about
    50 µs, so the 3,650 days of ten years on one page took 0.3 s."""

    changefreq = "never"
    limit = 500

    def items(self):
        return (
            DigestDay.objects.public()
            .select_related("live_publication").only("date", "live_publication__published_at").order_by("-date")
        )

    def location(self, day):
        return reverse("public:day", args=[day.date])

    def lastmod(self, day):
        return day.live_publication.published_at

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
    per day it appeared in). A page holds the papers of 7 days (about 420 URLs at 60 papers a day):
    small enough for Django's template to render well within 50 ms."""

    changefreq = "never"
    limit = 7  # days per page

    @property
    def paginator(self):
        return PapersOfDaysPaginator(
            DigestDay.objects.public().order_by("-date").values_list("date", flat=True), self.limit
        )

    def location(self, paper):
        return reverse("public:paper", args=[paper["arxiv_id"]])

    def lastmod(self, paper):
        return paper["day_date"]

    def get_latest_lastmod(self):
        return PublishedPaper.objects.public().order_by("-day_date").values_list("day_date", flat=True).first()


SITEMAPS = {"days": DaySitemap, "papers": PaperSitemap}
