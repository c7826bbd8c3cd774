import datetime as dt

from django.urls import path, register_converter

from public import feeds, sitemaps, subscriptions, views
from public.digest_scope import digest_page
from publishing.site_links import DIGEST_NAME_PREFIX


class IsoDateConverter:
    """YYYY-MM-DD that is a real date; anything else does not match (404)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(value) from None

    def to_url(self, value):
        return f"{value:%Y-%m-%d}" if hasattr(value, "year") else str(value)


register_converter(IsoDateConverter, "isodate")

app_name = "public"
# The pages every digest has: the first digest's at these paths, each digest's (the first's too, which
# redirect to these) under d/<slug>/, named digest_<name> (publishing.site_links.digest_path).
DIGEST_PAGES = [
    ("", views.archive, "archive"),
    ("days/<isodate:date>/", views.day_page, "day"),
    ("days/<isodate:date>.md", views.day_markdown, "day_markdown"),
    ("days/<isodate:date>/versions/", views.day_versions, "day_versions"),
    ("papers/<path:arxiv_id>/", views.paper_page, "paper"),
    ("categories/<str:category>/", views.category_page, "category"),
    ("search/", views.search, "search"),
    ("feed/", digest_page(feeds.PublishedDaysFeed()), "feed"),
    ("feed.json", views.public_view(digest_page(feeds.json_feed_days)), "feed_json"),
    ("categories/<str:category>/feed/", digest_page(feeds.CategoryFeed()), "category_feed"),
    ("categories/<str:category>/feed.json", views.public_view(digest_page(feeds.json_feed_category)),
     "category_feed_json"),
    ("sitemap.xml", sitemaps.sitemap_index, "sitemap"),
    ("sitemap-<section>.xml", sitemaps.sitemap_section, "sitemap_section"),
]
urlpatterns = [
    *(path(route, view, name=name) for route, view, name in DIGEST_PAGES),
    *(path(f"d/<slug:digest>/{route}", view, name=f"{DIGEST_NAME_PREFIX}{name}") for route, view, name in DIGEST_PAGES),
    path("robots.txt", views.robots_txt, name="robots"),
    path("subscribe/", subscriptions.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", subscriptions.subscribe_confirm, name="subscribe_confirm"),
    path("unsubscribe/<str:token>/", subscriptions.unsubscribe, name="unsubscribe"),
]
