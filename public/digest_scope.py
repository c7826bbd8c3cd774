"""Which digest a public page belongs to: the first digest's pages at the site's root paths, every other
digest's under /d/<slug>/ (the first digest's there answer with a permanent redirect to the root path,
so each page has one address; an unknown slug is a 404).

The digests are read in one query and kept in each web process for DIGEST_PUBLIC_RECHECK_SECONDS, as the
day pages' summaries are (public/page_cache.py): a page asks nothing of the database to know its digest.
A digest saved or deleted in this process drops them at once (public/receivers.py); another process's
change shows within the window.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse

from digests.models import Digest


@dataclass(frozen=True)
class PublicDigests:
    """Every digest, in the home page's order (position, then id); each carries `is_home` and `several`."""

    digests: tuple[Digest, ...]
    first: Digest

    def by_slug(self, slug: str) -> Digest | None:
        return next((digest for digest in self.digests if digest.slug == slug), None)

    @property
    def several(self) -> bool:
        return len(self.digests) > 1


_lock = threading.Lock()
_kept: tuple[float, PublicDigests] | None = None


def _read() -> PublicDigests:
    digests = list(Digest.objects.all()) or [Digest.objects.home()]
    first = min(digests, key=lambda digest: digest.pk)
    for digest in digests:
        # Read by templates and site_links.digest_path: no query per page to know either.
        digest.is_home = digest.pk == first.pk  # set, not asked (a cached_property)
        digest.several = len(digests) > 1
    return PublicDigests(digests=tuple(digests), first=first)


def public_digests(*, fresh: bool = False) -> PublicDigests:
    """The digests as readers' pages see them: read again after DIGEST_PUBLIC_RECHECK_SECONDS (or `fresh`)."""
    global _kept
    window = settings.DIGEST_PUBLIC_RECHECK_SECONDS
    now = time.monotonic()
    with _lock:
        if not fresh and window > 0 and _kept is not None and now - _kept[0] < window:
            return _kept[1]
    digests = _read()
    with _lock:
        _kept = (now, digests)
    return digests


def public_digests_forget() -> None:
    """A digest changed in this process: the next page reads them again."""
    global _kept
    with _lock:
        _kept = None


def digest_of_slug(slug: str) -> Digest:
    """The digest of /d/<slug>/, or 404 (read again once before saying so: it may be new)."""
    digest = public_digests().by_slug(slug) or public_digests(fresh=True).by_slug(slug)
    if digest is None:
        raise Http404("no such digest")
    return digest


def _root_path(request, digest: Digest) -> str:
    """`/d/<first>/days/2026-01-09/?page=2` → `/days/2026-01-09/?page=2`."""
    prefix = reverse("public:digest_archive", args=[digest.slug])
    full_path = request.get_full_path()
    return reverse("public:archive") + full_path[len(prefix):] if full_path.startswith(prefix) else reverse(
        "public:archive")


def digest_page(view):
    """A page every digest has: the view is called with `digest` (a Digest). The root path is the first
    digest's page; /d/<slug>/… the slug's (the first digest's: a permanent redirect to the root path)."""
    @functools.wraps(view)
    def wrapped(request, *args, digest: str | None = None, **kwargs):
        if digest is None:
            found = public_digests().first
        else:
            found = digest_of_slug(digest)
            if found.is_home:
                return HttpResponsePermanentRedirect(_root_path(request, found))
        return view(request, *args, digest=found, **kwargs)
    return wrapped
