"""Feeds of what readers may see: the Atom feed of published days, a feed per arXiv category (one
entry per paper), and the same as JSON Feed 1.1.

An entry of the days' feeds carries the whole day as its content (the post's HTML, sanitised again
on the way out, its site links made absolute), so a feed reader shows what the day page shows;
its summary lists the titles.

Entry ids are `tag:` URIs (RFC 4151) made from DIGEST_SITE_URL's host, so they are absolute and
never change whatever address a reader used; `published` is the day's first publication and
`updated` the version readers see now.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Min, OuterRef, Subquery
from django.http import Http404, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from public.views import CATEGORY_RE
from publishing.models import DigestDay, Publication, PublishedPaper
from publishing.posts.rendering import html_sanitised, render_markdown_safely
from publishing.site_links import site_url

FEED_DAYS = 30
FEED_PAPERS = 50
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def tag_uri(path: str, year: int) -> str:
    """`tag:digest.example.org,2026:day/2026-01-09`: an id that is absolute and never changes."""
    host = urlsplit(settings.DIGEST_SITE_URL).hostname or "localhost"
    return f"tag:{host},{year}:{path}"


def feed_days() -> list[DigestDay]:
    """The newest public days, each with `first_published_at` and its papers (`feed_papers`)."""
    days = list(
        DigestDay.objects.public()
        .select_related("live_publication", "digest")
        .only("date", "live_publication__published_at", "live_publication__version", "live_publication__paper_count",
              "live_publication__html", "digest__title_pattern")
        .annotate(first_published_at=Min("publications__published_at"))
        .order_by("-date")[:FEED_DAYS]
    )
    papers: dict[int, list[PublishedPaper]] = {}
    for paper in (
        PublishedPaper.objects.filter(publication_id__in=[day.live_publication_id for day in days])
        .order_by("position").only("publication_id", "arxiv_id", "title", "title_zh", "position")
    ):
        papers.setdefault(paper.publication_id, []).append(paper)
    for day in days:
        day.feed_papers = papers.get(day.live_publication_id, [])
    return days


def feed_category_papers(category: str) -> list[PublishedPaper]:
    """The newest public papers of a category, each with its day's first and live publication times."""
    first = Publication.objects.filter(day__date=OuterRef("day_date")).order_by("published_at").values("published_at")[:1]
    return list(
        PublishedPaper.objects.of_category(category, start=0, stop=FEED_PAPERS)
        .select_related("publication")
        .only("arxiv_id", "title", "title_zh", "abstract_zh", "authors_text", "day_date", "position",
              "publication__published_at")
        .annotate(first_published_at=Subquery(first))
    )


def _day_summary_html(day: DigestDay) -> str:
    # Django escapes nothing here: the template autoescapes every title.
    return render_to_string("public/feed_item.html", {"day": day, "papers": day.feed_papers})


# A link from the site's root (`/papers/…`) in the post: feed readers resolve nothing against the site.
_SITE_LINK_RE = re.compile(r'(\shref=")/(?!/)')


def _day_content_html(day: DigestDay) -> str:
    """The whole day as the day page shows it: its publication's HTML, sanitised, links absolute."""
    root = settings.DIGEST_SITE_URL.rstrip("/")
    return _SITE_LINK_RE.sub(lambda match: f"{match.group(1)}{root}/", html_sanitised(day.live_publication.html))


class FullContentAtom1Feed(Atom1Feed):
    """Atom with an entry's full text in <content type="html"> beside its <summary>."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


def _paper_html(paper: PublishedPaper) -> str:
    return render_to_string("public/feed_paper.html", {"paper": paper,
                                                       "abstract_html": render_markdown_safely(paper.abstract_zh)})


class PublishedDaysFeed(Feed):
    feed_type = FullContentAtom1Feed
    description_template = None

    def title(self):
        return settings.DIGEST_SITE_TITLE

    def subtitle(self):
        return f"arXiv {', '.join(settings.DIGEST_CATEGORIES)} 每日新论文的中文译文与解读"

    def link(self):
        return reverse("public:archive")

    def feed_url(self):
        return reverse("public:feed")

    def feed_guid(self):
        return tag_uri("feed", 2026)

    def items(self):
        return feed_days()

    def item_title(self, day):
        return day.post_title

    def item_link(self, day):
        return reverse("public:day", args=[day.date])

    def item_guid(self, day):
        return tag_uri(f"day/{day.date:%Y-%m-%d}", day.date.year)

    item_guid_is_permalink = False

    def item_description(self, day):
        return _day_summary_html(day)

    def item_extra_kwargs(self, day):
        return {"content_html": _day_content_html(day)}

    def item_pubdate(self, day):
        return day.first_published_at

    def item_updateddate(self, day):
        return day.live_publication.published_at


class CategoryFeed(Feed):
    """One entry per paper of an arXiv category, newest first."""

    feed_type = Atom1Feed
    description_template = None

    def get_object(self, request, category: str):
        if not CATEGORY_RE.match(category):
            raise Http404("not an arXiv category")
        return category

    def title(self, category):
        return f"{settings.DIGEST_SITE_TITLE} · {category}"

    def subtitle(self, category):
        return f"arXiv {category} 的新论文：中文译文与解读"

    def link(self, category):
        return reverse("public:category", args=[category])

    def feed_url(self, category):
        return reverse("public:category_feed", args=[category])

    def feed_guid(self, category):
        return tag_uri(f"category/{category}", 2026)

    def items(self, category):
        return feed_category_papers(category)

    def item_title(self, paper):
        return f"{paper.title}（{paper.title_zh}）" if paper.title_zh else paper.title

    def item_link(self, paper):
        return reverse("public:paper", args=[paper.arxiv_id])

    def item_guid(self, paper):
        return tag_uri(f"paper/{paper.arxiv_id}/{paper.day_date:%Y-%m-%d}", paper.day_date.year)

    item_guid_is_permalink = False

    def item_description(self, paper):
        return _paper_html(paper)

    def item_author_name(self, paper):
        return paper.authors_text

    def item_pubdate(self, paper):
        return paper.first_published_at

    def item_updateddate(self, paper):
        return paper.publication.published_at


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def json_feed_days(request) -> JsonResponse:
    """The days' feed as JSON Feed 1.1."""
    items = [{
        "id": tag_uri(f"day/{day.date:%Y-%m-%d}", day.date.year),
        "url": site_url("public:day", day.date),
        "title": day.post_title,
        "content_html": _day_content_html(day),
        "date_published": _rfc3339(day.first_published_at),
        "date_modified": _rfc3339(day.live_publication.published_at),
    } for day in feed_days()]
    return _json_feed(settings.DIGEST_SITE_TITLE, site_url("public:archive"), site_url("public:feed_json"), items)


def json_feed_category(request, category: str) -> JsonResponse:
    if not CATEGORY_RE.match(category):
        raise Http404("not an arXiv category")
    items = [{
        "id": tag_uri(f"paper/{paper.arxiv_id}/{paper.day_date:%Y-%m-%d}", paper.day_date.year),
        "url": site_url("public:paper", paper.arxiv_id),
        "title": f"{paper.title}（{paper.title_zh}）" if paper.title_zh else paper.title,
        "content_html": _paper_html(paper),
        "date_published": _rfc3339(paper.first_published_at),
        "date_modified": _rfc3339(paper.publication.published_at),
        "authors": [{"name": paper.authors_text}],
        "tags": [category],
    } for paper in feed_category_papers(category)]
    return _json_feed(f"{settings.DIGEST_SITE_TITLE} · {category}", site_url("public:category", category),
                      site_url("public:category_feed_json", category), items)


def _json_feed(title: str, home: str, feed: str, items: list[dict]) -> JsonResponse:
    return JsonResponse({
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": home,
        "feed_url": feed,
        "language": "zh-CN",
        "items": items,
    }, content_type="application/feed+json; charset=utf-8", json_dumps_params={"ensure_ascii": False})
