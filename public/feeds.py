"""The Atom feed of published days: each entry lists the day's papers and links to the page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from publishing.models import DigestDay, PublishedPaper

FEED_DAYS = 30


class PublishedDaysFeed(Feed):
    feed_type = Atom1Feed
    description_template = None

    def title(self):
        return settings.DIGEST_SITE_TITLE

    def subtitle(self):
        return f"arXiv {', '.join(settings.DIGEST_CATEGORIES)} 每日新论文的中文译文与解读"

    def link(self):
        return reverse("public:archive")

    def feed_url(self):
        return reverse("public:feed")

    def items(self):
        days = list(
            DigestDay.objects.public()
            .select_related("live_publication")
            .only("date", "live_publication__published_at", "live_publication__version",
                  "live_publication__paper_count", "live_publication__content_hash")
            .order_by("-date")[:FEED_DAYS]
        )
        papers = {}
        for paper in (
            PublishedPaper.objects.filter(publication_id__in=[day.live_publication_id for day in days])
            .order_by("position").only("publication_id", "arxiv_id", "title", "title_zh", "position")
        ):
            papers.setdefault(paper.publication_id, []).append(paper)
        for day in days:
            day.feed_papers = papers.get(day.live_publication_id, [])
        return days

    def item_title(self, day):
        return str(day)

    def item_link(self, day):
        return reverse("public:day", args=[day.date])

    def item_guid(self, day):
        return f"{self.feed_url()}#{day.date:%Y-%m-%d}"

    def item_description(self, day):
        # Django escapes nothing here: the template autoescapes every title.
        return render_to_string("public/feed_item.html", {"day": day, "papers": day.feed_papers})

    def item_pubdate(self, day):
        return day.live_publication.published_at

    def item_updateddate(self, day):
        return day.live_publication.published_at
