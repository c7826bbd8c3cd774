"""Absolute links to the site, for what leaves it (feeds, webhooks, set-password links): DIGEST_SITE_URL
and a URL name, so no path is written twice.

Each digest's public pages have the same names: the first digest's at the site's root paths
(`public:day`), every other digest's under /d/<slug>/ (`public:digest_day`, the slug first).
`digest_path` chooses; code that names no digest gets the first digest's paths.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

DIGEST_NAME_PREFIX = "digest_"


def digest_path(digest, name: str, *args) -> str:
    """`/days/2026-01-09/` for the first digest's day page (or `digest` None), `/d/audio/days/2026-01-09/`
    for another's. `name` is a public page's name, with or without `public:`."""
    name = name.removeprefix("public:")
    if digest is None or digest.is_home:
        return reverse(f"public:{name}", args=args)
    return reverse(f"public:{DIGEST_NAME_PREFIX}{name}", args=[digest.slug, *args])


def site_url(name: str, *args, digest=None) -> str:
    """`https://digest.example.org/days/2026-01-09/` for site_url("public:day", date); a digest's own page
    with `digest` (the first digest's at the root)."""
    path = reverse(name, args=args) if digest is None else digest_path(digest, name, *args)
    return settings.DIGEST_SITE_URL.rstrip("/") + path


def site_host() -> str:
    """`digest.example.org`: the site's host name, for what must be of its domain (a mail's Message-ID)."""
    return urlsplit(settings.DIGEST_SITE_URL).hostname or "localhost"


def digest_site_root(digest) -> str:
    """Where a digest's pages start, to put before a path of the site's URLconf: the first digest keeps
    the site's URLs (`https://…`), another digest's pages live under `/d/<slug>` (`https://…/d/nlp`).

    Every link that leaves the site for one digest (the email edition, webhooks) is built on this, so
    the public site's scheme for a digest's pages is written in one place."""
    root = settings.DIGEST_SITE_URL.rstrip("/")
    return root if digest is None or digest.is_home else f"{root}/d/{digest.slug}"


def digest_site_url(digest, name: str, *args) -> str:
    """`https://…/d/nlp/days/2026-01-09/` for digest_site_url(nlp, "public:day", date); as site_url for the first."""
    return digest_site_root(digest) + reverse(name, args=args)
