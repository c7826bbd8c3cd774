"""The archive's files served by the app itself, for a site with no proxy serving them (deploy/nginx.conf
and deploy/Caddyfile serve them before the request reaches the app).

WhiteNoise's file serving (conditional requests, ranges, HEAD, the gzip or Brotli copy the client accepts)
over DIGEST_STATIC_ARCHIVE_DIR, looked up on each request (files come and go as days are published), for
GET and HEAD with no query string only: `?page=2` is another page, which only the view knows. Anything
with no file (search, a later page, a day not written yet) goes on to the views.
"""

from __future__ import annotations

import os

from django.conf import settings
from whitenoise.base import WhiteNoise
from whitenoise.middleware import WhiteNoiseMiddleware

from public.archive_files.pages import INDEX_FILE, content_type_of
from public.archive_files.rendering import RENDERING
from public.views import CONTENT_SECURITY_POLICY

# The views' Cache-Control on the day page (public/views.py `_conditional`): a page changes at most when a
# day is published.
MAX_AGE = 300


def archive_headers(headers, path: str, url: str) -> None:
    """What the views' responses carry beyond SecurityMiddleware's headers, which wrap these too."""
    headers["Content-Type"] = content_type_of(url)
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS


class ArchiveFilesMiddleware(WhiteNoise):
    def __init__(self, get_response):
        self.get_response = get_response
        super().__init__(application=None, autorefresh=True, max_age=MAX_AGE, allow_all_origins=False,
                         index_file=INDEX_FILE, add_headers_function=archive_headers)
        self.root = None

    def _directory(self) -> str | None:
        # Read on each request: tests (and nothing else) change the setting while a process runs.
        root = settings.DIGEST_STATIC_ARCHIVE_DIR
        if root != self.root:
            self.root = root
            self.directories = [(os.path.abspath(root).rstrip(os.sep) + os.sep, "/")] if root else []
        return root

    def __call__(self, request):
        if (request.method in ("GET", "HEAD") and not request.META.get("QUERY_STRING")
                and not request.META.get(RENDERING) and "/." not in request.path_info and "\x00" not in request.path_info and self._directory()):
            static_file = self.find_file(request.path_info)
            if static_file is not None:
                return WhiteNoiseMiddleware.serve(static_file, request)
        return self.get_response(request)
