import datetime as dt

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, register_converter

from public import feeds, subscriptions, views
from public.sitemaps import SITEMAPS


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
urlpatterns = [
    path("", views.archive, name="archive"),
    path("days/<isodate:date>/", views.day_page, name="day"),
    path("days/<isodate:date>.md", views.day_markdown, name="day_markdown"),
    path("days/<isodate:date>/versions/", views.day_versions, name="day_versions"),
    path("papers/<path:arxiv_id>/", views.paper_page, name="paper"),
    path("categories/<str:category>/", views.category_page, name="category"),
    path("search/", views.search, name="search"),
    path("feed/", feeds.PublishedDaysFeed(), name="feed"),
    path("feed.json", views.public_view(feeds.json_feed_days), name="feed_json"),
    path("categories/<str:category>/feed/", feeds.CategoryFeed(), name="category_feed"),
    path("categories/<str:category>/feed.json", views.public_view(feeds.json_feed_category), name="category_feed_json"),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS, "sitemap_url_name": "public:sitemap_section",
                                              "template_name": "public/sitemap_index.xml"}, name="sitemap"),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS, "template_name": "public/sitemap.xml"},
         name="sitemap_section"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("subscribe/", subscriptions.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", subscriptions.subscribe_confirm, name="subscribe_confirm"),
    path("unsubscribe/<str:token>/", subscriptions.unsubscribe, name="unsubscribe"),
]
