from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from publishing.models import DigestDay, PublishedPaper


class DaySitemap(Sitemap):
    changefreq = "never"

    def items(self):
        return (
            DigestDay.objects.public()
            .select_related("live_publication").only("date", "live_publication__published_at").order_by("-date")
        )

    def location(self, day):
        return reverse("public:day", args=[day.date])

    def lastmod(self, day):
        return day.live_publication.published_at


class PaperSitemap(Sitemap):
    """Every published paper, in the order of the days it appeared in. Read straight from the
    (live, day) index, without grouping (a paper published again as a replacement is listed
    once per day it appeared in): grouping 200,000 papers took seconds per sitemap page.
    Pages of 10,000 (not the protocol's 50,000): rendering 50,000 URLs took three seconds."""

    changefreq = "never"
    limit = 10000

    def items(self):
        return (
            PublishedPaper.objects.public()
            .order_by("-day_date", "position").values("arxiv_id", "day_date")
        )

    def location(self, paper):
        return reverse("public:paper", args=[paper["arxiv_id"]])

    def lastmod(self, paper):
        return paper["day_date"]


SITEMAPS = {"days": DaySitemap, "papers": PaperSitemap}
