"""The cache of published pages' HTML. Keys name the immutable publication, so a cached
page can never be stale; publishing drops the day's entries so memory holds what readers see."""

from __future__ import annotations

from django.core.cache import cache

from publishing.models import DigestDay, Publication

TIMEOUT = 24 * 3600


def _key(publication_id: int) -> str:
    return f"publication-html:{publication_id}"


def publication_html(publication_id: int) -> str:
    html = cache.get(_key(publication_id))
    if html is None:
        html = Publication.objects.values_list("html", flat=True).get(pk=publication_id)
        cache.set(_key(publication_id), html, TIMEOUT)
    return html


def public_cache_clear(day: DigestDay) -> None:
    cache.delete_many([_key(pk) for pk in day.publications.values_list("pk", flat=True)])
