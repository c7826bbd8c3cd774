from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from publishing.models import DigestDay, PublishedPaper
from publishing.windows import current_digest_date


class DaySitemap(Sitemap):
    changefreq = "never"

    def items(self):
        return (
            DigestDay.objects.published().filter(date__lte=current_digest_date())
            .select_related("live_publication").only("date", "live_publication__published_at").order_by("-date")
        )

    def location(self, day):
        return reverse("public:day", args=[day.date])

    def lastmod(self, day):
        return day.live_publication.published_at


class PaperSitemap(Sitemap):
    changefreq = "never"

    def items(self):
        return (
            PublishedPaper.objects.live().filter(day_date__lte=current_digest_date())
            .values("arxiv_id").annotate(last_day=Max("day_date")).order_by("arxiv_id")
        )

    def location(self, paper):
        return reverse("public:paper", args=[paper["arxiv_id"]])

    def lastmod(self, paper):
        return paper["last_day"]


SITEMAPS = {"days": DaySitemap, "papers": PaperSitemap}
