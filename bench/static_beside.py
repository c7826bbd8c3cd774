"""The site's WSGI application, plus /bench-static/<name> served from BENCH_STATIC_DIR as a plain
static file (read from disk on each request), so bench/public.py compares both through one gunicorn."""

import mimetypes
import os
from pathlib import Path

from digest_site.wsgi import application as django_application

STATIC_DIR = Path(os.environ["BENCH_STATIC_DIR"])
PREFIX = "/bench-static/"


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if not path.startswith(PREFIX):
        return django_application(environ, start_response)
    target = STATIC_DIR / Path(path[len(PREFIX):]).name
    if not target.is_file():
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    start_response("200 OK", [("Content-Type", f"{content_type}; charset=utf-8"),
                              ("Content-Length", str(target.stat().st_size))])
    handle = target.open("rb")
    return environ.get("wsgi.file_wrapper", lambda f: iter(lambda: f.read(65536), b""))(handle)
