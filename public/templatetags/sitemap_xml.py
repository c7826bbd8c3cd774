"""The entries of Django's sitemap and sitemap index templates, written in Python.

Byte for byte what `sitemap.xml` and `sitemap_index.xml` of django.contrib.sitemaps render
(tests/public/test_archive_scale.py compares them), at a fraction of the cost: Django's
template loop took about 50 µs per URL, so a page of 500 URLs spent 25 ms in it alone.
"""

from django import template
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

register = template.Library()


class _Dates(dict):
    """The `date` filter's work, once per distinct value on a page (a day's papers share one date);
    kept for one page only, since it depends on the time zone active while rendering."""

    def __init__(self, format_string: str):
        super().__init__()
        self.format_string = format_string

    def __missing__(self, value) -> str:
        self[value] = formats.date_format(template_localtime(value), self.format_string)
        return self[value]


@register.filter
def sitemap_urls(urlset) -> str:
    """The `<url>` entries of a sitemap page, from the dicts Django's `Sitemap.get_urls` returns."""
    parts, dates = [], _Dates("Y-m-d")
    for url in urlset:
        parts.append(f"<url><loc>{escape(url['location'])}</loc>")
        if url["lastmod"]:
            parts.append(f"<lastmod>{dates[url['lastmod']]}</lastmod>")
        if url["changefreq"]:
            parts.append(f"<changefreq>{escape(url['changefreq'])}</changefreq>")
        if url["priority"]:
            parts.append(f"<priority>{escape(url['priority'])}</priority>")
        for alternate in url["alternates"]:
            parts.append(f'<xhtml:link rel="alternate" hreflang="{escape(alternate["lang_code"])}" '
                         f'href="{escape(alternate["location"])}"/>')
        parts.append("</url>")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


@register.filter
def sitemap_index_entries(sitemaps) -> str:
    """The `<sitemap>` entries of a sitemap index, from the view's `SitemapIndexItem`s."""
    parts, dates = [], _Dates("c")
    for site in sitemaps:
        parts.append(f"<sitemap><loc>{escape(site.location)}</loc>")
        if site.last_mod:
            parts.append(f"<lastmod>{dates[site.last_mod]}</lastmod>")
        parts.append("</sitemap>")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)
