"""A public page's bytes, as the site answers a reader: the same request handler as every request
(middleware, URL resolver, view, templates), given a plain GET for the page at DIGEST_SITE_URL's address
with no cookie and no preferred language. A change to a view or a template so reaches the files with no
copy of it here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http.request import split_domain_port, validate_host

# Set on the requests made here: the archive files' middleware lets them through to the views (else it
# would answer with the file being replaced).
RENDERING = "arxiv_digest.archive_files.rendering"


@dataclass(frozen=True)
class RenderedPage:
    url: str
    status: int
    content_type: str
    body: bytes


class PageRenderer:
    """Renders pages through the site's middleware and URLs; made once per sync (loading the middleware)."""

    def __init__(self):
        self.handler = BaseHandler()
        self.handler.load_middleware()
        site = urlsplit(settings.DIGEST_SITE_URL)
        self.scheme = site.scheme
        self.host = site.netloc
        self.port = str(site.port or (443 if site.scheme == "https" else 80))
        domain, _port = split_domain_port(self.host)
        if not validate_host(domain, settings.ALLOWED_HOSTS):
            # Else every page would answer 400 (DisallowedHost) and no file would be written.
            raise ImproperlyConfigured(f"the archive's files are rendered for DIGEST_SITE_URL's host {domain!r}, "
                                       "which ALLOWED_HOSTS does not allow: add it there")

    def environ(self, url: str) -> dict:
        return {
            "REQUEST_METHOD": "GET", "PATH_INFO": url, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": split_domain_port(self.host)[0] or self.host,
            "SERVER_PORT": self.port, "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": self.host,
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": self.scheme, "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0), "wsgi.multithread": False,
            "wsgi.multiprocess": True, "wsgi.run_once": False, RENDERING: True,
        }

    def render(self, url: str) -> RenderedPage:
        request = WSGIRequest(self.environ(url))
        response = self.handler.get_response(request)
        # Not response.close(): it sends request_finished, which closes the database connection (and would
        # inside a transaction). A GET for a page holds no file or upload to release.
        body = b"".join(response) if response.streaming else response.content
        return RenderedPage(url=url, status=response.status_code, content_type=response.get("Content-Type", ""),
                            body=body)
