"""Absolute links to the site, for what leaves it (feeds, webhooks, set-password links): DIGEST_SITE_URL
and a URL name, so no path is written twice."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse


def site_url(name: str, *args) -> str:
    """`https://digest.example.org/days/2026-01-09/` for site_url("public:day", date)."""
    return settings.DIGEST_SITE_URL.rstrip("/") + reverse(name, args=args)


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
