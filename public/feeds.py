"""Feeds of what readers may see: the Atom feed of published days, a feed per arXiv category (one
entry per paper), and the same as JSON Feed 1.1.

An entry of the days' feeds carries the whole day as its content (the post's HTML, sanitised again
on the way out, its site links made absolute), so a feed reader shows what the day page shows;
its summary lists the titles.

Entry ids are `tag:` URIs (RFC 4151) made from DIGEST_SITE_URL's host, so they are absolute and
never change whatever address a reader used; `published` is the day's first publication and
`updated` the version readers see now. Each digest has its own feeds: the first digest's keep the ids
they always had (`day/2026-01-09`), another's carry its slug (`audio/day/2026-01-09`), so no reader
sees one digest's day as another's, or an old entry as new.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Min, OuterRef, Subquery
from django.http import Http404, JsonResponse
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed

from digests.models import Digest
from public.views import CATEGORY_RE
from publishing.models import DigestDay, Publication, PublishedPaper
from publishing.posts.rendering import html_sanitised, render_markdown_safely
from publishing.site_links import digest_path, site_url

FEED_DAYS = 30
FEED_PAPERS = 50
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def tag_uri(path: str, year: int) -> str:
    """`tag:digest.example.org,2026:day/2026-01-09`: an id that is absolute and never changes."""
    host = urlsplit(settings.DIGEST_SITE_URL).hostname or "localhost"
    return f"tag:{host},{year}:{path}"


def digest_tag(digest: Digest, path: str) -> str:
    """A feed's or entry's tag path: the first digest's as it always was, another's under its slug."""
    return path if digest.is_home else f"{digest.slug}/{path}"


def feed_title(digest: Digest, *parts: str) -> str:
    """The site's title, then the digest's name (the first digest's feeds keep the title they always had)."""
    return " · ".join([settings.DIGEST_SITE_TITLE, *([] if digest.is_home else [digest.name]), *parts])


def feed_days(digest: Digest) -> list[DigestDay]:
    """The digest's newest public days, each with `first_published_at` and its papers (`feed_papers`)."""
    days = list(
        DigestDay.objects.public(digest)
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
        day.digest = digest  # its post title, with no query
    return days


def feed_category_papers(digest: Digest, category: str) -> list[PublishedPaper]:
    """The digest's newest public papers of a category, each with its day's first and live publication times."""
    first = (Publication.objects.filter(day__digest_id=OuterRef("digest_id"), day__date=OuterRef("day_date"))
             .order_by("published_at").values("published_at")[:1])
    papers = list(
        PublishedPaper.objects.of_category(digest, category, start=0, stop=FEED_PAPERS)
        .select_related("publication")
        .only("arxiv_id", "title", "title_zh", "abstract_zh", "authors_text", "day_date", "position",
              "publication__published_at")
        .annotate(first_published_at=Subquery(first))
    )
    for paper in papers:
        paper.digest = digest  # its links and ids, with no query
    return papers


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
    """A digest's days (public/digest_scope.digest_page gives the view its `digest`)."""

    feed_type = FullContentAtom1Feed
    description_template = None

    def get_object(self, request, digest: Digest):
        return digest

    def title(self, digest):
        return feed_title(digest)

    def subtitle(self, digest):
        return f"arXiv {', '.join(digest.categories)} 每日新论文的中文译文与解读"

    def link(self, digest):
        return digest_path(digest, "archive")

    def feed_url(self, digest):
        return digest_path(digest, "feed")

    def feed_guid(self, digest):
        return tag_uri(digest_tag(digest, "feed"), 2026)

    def items(self, digest):
        return feed_days(digest)

    def item_title(self, day):
        return day.post_title

    def item_link(self, day):
        return digest_path(day.digest, "day", day.date)

    def item_guid(self, day):
        return tag_uri(digest_tag(day.digest, f"day/{day.date:%Y-%m-%d}"), day.date.year)

    item_guid_is_permalink = False

    def item_description(self, day):
        return _day_summary_html(day)

    def item_extra_kwargs(self, day):
        return {"content_html": _day_content_html(day)}

    def item_pubdate(self, day):
        return day.first_published_at

    def item_updateddate(self, day):
        return day.live_publication.published_at


@dataclass(frozen=True)
class DigestCategory:
    digest: Digest
    category: str


class CategoryFeed(Feed):
    """One entry per paper of a digest's arXiv category, newest first. (One instance serves every request:
    what a request asks for is in its object, the digest also on each paper.)"""

    feed_type = Atom1Feed
    description_template = None

    def get_object(self, request, category: str, digest: Digest):
        if not CATEGORY_RE.match(category):
            raise Http404("not an arXiv category")
        return DigestCategory(digest, category)

    def title(self, obj):
        return feed_title(obj.digest, obj.category)

    def subtitle(self, obj):
        return f"arXiv {obj.category} 的新论文：中文译文与解读"

    def link(self, obj):
        return digest_path(obj.digest, "category", obj.category)

    def feed_url(self, obj):
        return digest_path(obj.digest, "category_feed", obj.category)

    def feed_guid(self, obj):
        return tag_uri(digest_tag(obj.digest, f"category/{obj.category}"), 2026)

    def items(self, obj):
        return feed_category_papers(obj.digest, obj.category)

    def item_title(self, paper):
        return f"{paper.title}（{paper.title_zh}）" if paper.title_zh else paper.title

    def item_link(self, paper):
        return digest_path(paper.digest, "paper", paper.arxiv_id)

    def item_guid(self, paper):
        return tag_uri(digest_tag(paper.digest, f"paper/{paper.arxiv_id}/{paper.day_date:%Y-%m-%d}"),
                       paper.day_date.year)

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


def json_feed_days(request, digest: Digest) -> JsonResponse:
    """The digest's days' feed as JSON Feed 1.1."""
    items = [{
        "id": tag_uri(digest_tag(digest, f"day/{day.date:%Y-%m-%d}"), day.date.year),
        "url": site_url("public:day", day.date, digest=digest),
        "title": day.post_title,
        "content_html": _day_content_html(day),
        "date_published": _rfc3339(day.first_published_at),
        "date_modified": _rfc3339(day.live_publication.published_at),
    } for day in feed_days(digest)]
    return _json_feed(feed_title(digest), site_url("public:archive", digest=digest),
                      site_url("public:feed_json", digest=digest), items)


def json_feed_category(request, category: str, digest: Digest) -> JsonResponse:
    if not CATEGORY_RE.match(category):
        raise Http404("not an arXiv category")
    items = [{
        "id": tag_uri(digest_tag(digest, f"paper/{paper.arxiv_id}/{paper.day_date:%Y-%m-%d}"), paper.day_date.year),
        "url": site_url("public:paper", paper.arxiv_id, digest=digest),
        "title": f"{paper.title}（{paper.title_zh}）" if paper.title_zh else paper.title,
        "content_html": _paper_html(paper),
        "date_published": _rfc3339(paper.first_published_at),
        "date_modified": _rfc3339(paper.publication.published_at),
        "authors": [{"name": paper.authors_text}],
        "tags": [category],
    } for paper in feed_category_papers(digest, category)]
    return _json_feed(feed_title(digest, category), site_url("public:category", category, digest=digest),
                      site_url("public:category_feed_json", category, digest=digest), items)


def _json_feed(title: str, home: str, feed: str, items: list[dict]) -> JsonResponse:
    return JsonResponse({
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": home,
        "feed_url": feed,
        "language": "zh-CN",
        "items": items,
    }, content_type="application/feed+json; charset=utf-8", json_dumps_params={"ensure_ascii": False})
