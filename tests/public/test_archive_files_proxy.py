"""deploy/nginx-archive.conf, run by a real nginx over files the site wrote: the files' bytes with the views'
types and headers, their gzip copies, and everything else passed to the app."""

import gzip
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from public.archive_files.pages import content_type_of
from publishing.posts.publication import day_publish
from tests.builders import approve_all, demo_day_drafted

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx_over(tmp_path):
    """Start nginx with the recipe's archive locations over a folder; `@app` answers 299 so a test sees what
    was passed on."""
    processes = []

    def start(root: Path) -> str:
        port, prefix = free_port(), tmp_path / "nginx"
        prefix.mkdir()
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / temp).mkdir()
        temps = " ".join(f"{temp}_temp_path {prefix / temp};" for temp in ("proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;" if os.geteuid() == 0 else ""  # the test's folders are 0700
        (prefix / "nginx.conf").write_text(
            f"daemon off; {user} worker_processes 1; pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'};\n"
            f"events {{}}\nhttp {{ access_log off; client_body_temp_path {prefix / 'body'}; {temps}\n"
            f"  server {{ listen 127.0.0.1:{port}; root {root};\n"
            f"    include {REPO / 'deploy' / 'nginx-archive.conf'};\n"
            "    location @app { return 299 'app'; } } }\n")
        command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
        subprocess.run([*command, "-t", "-q"], check=True, capture_output=True)
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return base
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")
    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


def ask(url: str, *, method: str = "GET", headers: dict | None = None):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.skipif(NGINX is None, reason="no nginx (Debian's nginx-light)")
def test_the_recipes_nginx_sends_the_files_as_the_views_would_and_passes_the_rest_on(
        settings, tmp_path, db, django_capture_on_commit_callbacks, editor, chief, nginx_over):
    archive = tmp_path / "archive"
    settings.DIGEST_STATIC_ARCHIVE_DIR, settings.DIGEST_SITE_URL = str(archive), "http://testserver"
    day = demo_day_drafted(django_capture_on_commit_callbacks)
    approve_all(day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=day, user=chief)
    base = nginx_over(archive)

    for url, file in [("/days/2026-01-09/", "days/2026-01-09/index.html"), ("/", "index.html"),
                      ("/feed/", "feed/index.html"), ("/feed.json", "feed.json"), ("/sitemap.xml", "sitemap.xml"),
                      ("/categories/cs.SD/feed/", "categories/cs.SD/feed/index.html")]:
        status, headers, body = ask(base + url)
        assert (status, body) == (200, (archive / file).read_bytes()), url
        assert headers["Content-Type"] == content_type_of(url), url
        assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    status, headers, body = ask(base + "/days/2026-01-09/", headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (archive / "days/2026-01-09/index.html").read_bytes()
    status, headers, body = ask(base + "/days/2026-01-09/", method="HEAD")
    assert status == 200 and body == b""

    # What only the app knows, or has no file: passed on.
    for url in ["/?page=2", "/days/2026-01-09/?utm_source=x", "/search/?q=x", "/.failures.json", "/.lock",
                "/days/2026-01-09", "/days/2026-01-10/", "/subscribe/"]:
        assert ask(base + url)[0] == 299, url
    assert ask(base + "/days/2026-01-09/", method="POST")[0] == 299
