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
