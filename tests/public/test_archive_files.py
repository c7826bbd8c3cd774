"""The published archive as files (public/archive_files/): the bytes the views render, kept in step with every
publish, correction and unpublish, written atomically, and served by the app with the views' headers."""

import datetime as dt
import gzip
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from monitoring.checks import ARCHIVE_FILES, health_report
from monitoring.incidents import incidents_evaluate
from monitoring.models import Incident
from public.archive_files import files as archive_files
from public.archive_files.pages import content_type_of
from public.archive_files.services import archive_files_sweep, failures_read
from public.page_cache import public_cache_clear
from public.views import CONTENT_SECURITY_POLICY
from publishing.models import DigestDay
from publishing.posts.publication import day_publish, day_unpublish
from publishing.review.services import entry_reject, entry_reopen
from tests.builders import DEMO_DATE, another_day_approved, approve_all, demo_day_drafted


@pytest.fixture
def archive(settings, tmp_path) -> Path:
    settings.DIGEST_STATIC_ARCHIVE_DIR = str(tmp_path / "archive")
    # Pages are rendered for the site's address; the test client's requests come to "testserver".
    settings.DIGEST_SITE_URL = "http://testserver"
    return tmp_path / "archive"


@pytest.fixture
def published_with_files(archive, db, django_capture_on_commit_callbacks, editor, chief) -> DigestDay:
    day = demo_day_drafted(django_capture_on_commit_callbacks)
    approve_all(day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=day, user=chief)
    return DigestDay.objects.get(pk=day.pk)


def url_of(archive: Path, path: Path) -> str:
    relative = path.relative_to(archive).as_posix()
    return "/" + (relative[:-len("index.html")] if relative.endswith("index.html") else relative)


def pages(archive: Path) -> dict[str, bytes]:
    return {url_of(archive, path): path.read_bytes() for path in archive.rglob("*")
            if path.is_file() and not path.name.startswith(".") and path.suffix not in (".gz", ".br")}


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def rendered_by_views(client, settings, url: str):
    """What the view answers a reader with no file in the way."""
    kept, settings.DIGEST_STATIC_ARCHIVE_DIR = settings.DIGEST_STATIC_ARCHIVE_DIR, None
    try:
        public_cache_clear()
        return client.get(url)
    finally:
        settings.DIGEST_STATIC_ARCHIVE_DIR = kept


def assert_files_are_what_the_views_render(client, settings, archive: Path) -> dict[str, bytes]:
    found = pages(archive)
    for url, body in found.items():
        response = rendered_by_views(client, settings, url)
        assert response.status_code == 200, url
        assert response.content == body, url
        assert response["Content-Type"] == content_type_of(url), url
        copy = archive / (url.lstrip("/") + ("index.html" if url.endswith("/") else "") + ".gz")
        if len(body) >= archive_files.COMPRESS_FROM_BYTES:
            assert gzip.decompress(copy.read_bytes()) == body, url
        else:
            assert not copy.exists(), url
    return found


def test_every_kind_of_page_is_written_as_the_bytes_its_view_renders(client, settings, archive, published_with_files):
    found = assert_files_are_what_the_views_render(client, settings, archive)
    papers = {url for url in found if url.startswith("/papers/")}
    assert len(papers) == published_with_files.entries.count()
    for url in ["/", "/days/2026-01-09/", "/feed/", "/feed.json", "/sitemap.xml", "/sitemap-days.xml",
                "/sitemap-papers.xml", "/categories/cs.SD/", "/categories/cs.SD/feed/", "/categories/cs.SD/feed.json"]:
        assert url in found, url
    # Search, raw markdown, versions and further pages stay with the views.
    assert not [url for url in found if "search" in url or url.endswith(".md") or "versions" in url]


def test_a_correction_that_drops_a_paper_leaves_no_stale_file(client, settings, archive, published_with_files, editor,
                                                                chief, django_capture_on_commit_callbacks):
    day = published_with_files
    # The paper alone in one of its categories, and sharing another with the rest of the day.
    entries = list(day.entries.select_related("paper"))
    counts = {}
    for entry in entries:
        for category in entry.paper.categories:
            counts[category] = counts.get(category, 0) + 1
    dropped = next(entry for entry in entries if any(counts[c] == 1 for c in entry.paper.categories)
                   and any(counts[c] > 1 for c in entry.paper.categories))
    alone = next(c for c in dropped.paper.categories if counts[c] == 1)
    shared = next(c for c in dropped.paper.categories if counts[c] > 1)
    shared_page_before = (archive / f"categories/{shared}/index.html").read_bytes()
    assert dropped.paper.arxiv_id.encode() in shared_page_before

    entry_reopen(entry=dropped, user=editor)
    entry_reject(entry=dropped, user=editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=day, user=chief, approved_only=True)

    found = assert_files_are_what_the_views_render(client, settings, archive)
    assert f"/papers/{dropped.paper.arxiv_id}/" not in found
    assert not (archive / f"papers/{dropped.paper.arxiv_id}/index.html.gz").exists()
    for url in (f"/categories/{alone}/", f"/categories/{alone}/feed/", f"/categories/{alone}/feed.json"):
        assert url not in found, url  # the category has no paper left: its page is the view's 404
    assert dropped.paper.arxiv_id.encode() not in found[f"/categories/{shared}/"]
    assert dropped.paper.arxiv_id.encode() not in found["/sitemap-papers.xml"]


def test_unpublishing_removes_the_day_and_its_papers_and_rewrites_the_pages_around(
        client, settings, archive, published_with_files, editor, chief, django_capture_on_commit_callbacks):
    later = another_day_approved(dt.date(2026, 1, 20), published_with_files, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=later, user=chief)
    # The earlier day's page now links to the later one: its file was rewritten.
    assert b"/days/2026-01-20/" in (archive / "days/2026-01-09/index.html").read_bytes()
    assert_files_are_what_the_views_render(client, settings, archive)

    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=later, user=chief)
    found = assert_files_are_what_the_views_render(client, settings, archive)
    assert "/days/2026-01-20/" not in found
    assert not [url for url in found if url.startswith(f"/papers/{later.date:%y%m}.7")]
    assert b"2026-01-20" not in found["/"] and b"2026-01-20" not in found["/feed/"]
    assert b"/days/2026-01-20/" not in found["/days/2026-01-09/"]

    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=published_with_files, user=chief)
    assert not [url for url in pages(archive) if url.startswith(("/days/", "/papers/", "/categories/"))]


def test_a_write_is_a_rename_a_reader_never_sees_half_a_page(tmp_path, monkeypatch):
    target = tmp_path / "days" / "2026-01-09" / "index.html"
    old = "旧版本".encode() * 400
    assert archive_files.page_write(target, old)
    assert not archive_files.page_write(target, old)  # the same bytes: left alone

    def renamed_never(source, destination):
        raise OSError("the disk is full")
    monkeypatch.setattr(archive_files.os, "replace", renamed_never)
    with pytest.raises(OSError):
        archive_files.page_write(target, "新版本".encode() * 400)
    # Written in place, the page would now be cut short or empty; written beside it, it is whole.
    assert target.read_bytes() == old and gzip.decompress((tmp_path / "days/2026-01-09/index.html.gz").read_bytes()) == old
    assert sorted(os.listdir(target.parent)) == ["index.html", "index.html.gz"]  # no half-written file left


def test_the_app_serves_the_files_with_the_views_headers_and_leaves_the_rest_to_the_views(
        client, settings, archive, published_with_files):
    index = archive / "index.html"
    index.write_bytes(b"<p>from the file</p>")
    assert body_of(client.get("/")) == b"<p>from the file</p>"
    assert b"2026-01-09" in client.get("/?page=1").content  # a query string: the view  # a query string: the view
    assert client.post("/").status_code == 405
    head = client.head("/")
    assert head.status_code == 200 and body_of(head) == b""
    index.unlink()
    assert b"2026-01-09" in client.get("/").content  # no file: the view

    for url in ["/days/2026-01-09/", "/feed/", "/feed.json", "/sitemap.xml", "/categories/cs.SD/feed/"]:
        served = client.get(url)
        view = rendered_by_views(client, settings, url)
        assert body_of(served) == view.content, url
        assert "Last-Modified" in served and served.get("ETag"), url  # answered from the file
        for header in ("Content-Type", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
            assert served.get(header) == view.get(header), (url, header)
        # The pages' policy on every file (the feeds' views send none: a stricter answer, not another one).
        assert served["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        if len(view.content) >= archive_files.COMPRESS_FROM_BYTES:
            assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(body_of(zipped)) == view.content, url
        else:  # too small to be worth a copy
            assert "Content-Encoding" not in zipped and body_of(zipped) == view.content, url
    assert client.get("/days/2026-01-09")["Location"].endswith("2026-01-09/")
    assert client.get("/.failures.json").status_code == 404
    assert client.get("/days/2026-01-09/index.html.gz").status_code == 404


def test_a_failed_sync_never_fails_the_publish_and_the_sweep_makes_it_good(
        client, settings, archive, drafted_day, editor, chief, django_capture_on_commit_callbacks, monkeypatch):
    import public.views

    def broken(paper):
        raise RuntimeError("a template fell over")
    monkeypatch.setattr(public.views, "_reading_html", broken)
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    assert DigestDay.objects.get(pk=drafted_day.pk).live_publication is not None
    assert "answered 500" in failures_read(archive)["2026-01-09"]["error"]
    assert (archive / "days/2026-01-09/index.html").is_file()  # the other pages were written
    assert not list(archive.glob("papers/*/index.html"))
    # The team hears of it: the health check's part fails, and an incident opens for the day.
    part = health_report().part(ARCHIVE_FILES)
    assert not part.ok and part.problems[0].subject == "2026-01-09" and "answered 500" in part.detail
    incidents_evaluate(alert=False)
    assert Incident.objects.open().get(kind=Incident.Kind.ARCHIVE_FILES).subject == "2026-01-09"

    monkeypatch.undo()
    sweep = archive_files_sweep()
    assert (sweep.retried, sweep.still_failing) == (1, 0)
    assert failures_read(archive) == {}
    assert health_report().part(ARCHIVE_FILES).ok
    incidents_evaluate(alert=False)
    assert not Incident.objects.open().filter(kind=Incident.Kind.ARCHIVE_FILES).exists()
    assert_files_are_what_the_views_render(client, settings, archive)
    assert len(list(archive.glob("papers/*/index.html"))) == drafted_day.entries.count()


def test_a_day_published_ahead_gets_its_files_when_its_date_comes(client, settings, archive, drafted_day, editor, chief,
                                                                  django_capture_on_commit_callbacks, monkeypatch):
    # The public() rules' "today" (each digest's, in its time zone: publishing.models.days.digest_today).
    monkeypatch.setattr("publishing.models.days.current_digest_date", lambda now=None, *, tz=None: DEMO_DATE - dt.timedelta(days=1))
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    assert not (archive / "days/2026-01-09/index.html").exists()
    # No day is public yet: no day page, and no feed file (an empty feed carries the time it was rendered).
    assert not (archive / "feed/index.html").exists()
    assert b"2026-01-09" not in (archive / "index.html").read_bytes()

    monkeypatch.undo()
    # (The demo's date is long past on the test machine's clock: the sweep looks back far enough to see it.)
    assert archive_files_sweep(look_back_days=10_000).come_due == 1
    found = assert_files_are_what_the_views_render(client, settings, archive)
    assert "/days/2026-01-09/" in found and b"2026-01-09" in found["/feed/"]
    assert archive_files_sweep(look_back_days=10_000).come_due == 0  # written once


def test_the_rebuild_command_writes_every_page_and_removes_strays(client, settings, archive, published_day, capsys):
    stray = archive / "days/2025-12-31/index.html"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"a day no longer published")
    os.utime(stray, (0, 0))
    call_command("rebuild_archive_files", "--no-progress")
    line = capsys.readouterr().out.strip()
    assert line.startswith("archive files rebuilt:") and "1 stray file(s) removed" in line, line
    assert not stray.exists()
    found = assert_files_are_what_the_views_render(client, settings, archive)
    assert len([url for url in found if url.startswith("/papers/")]) == published_day.entries.count()


def test_an_unpublished_days_files_go_at_once_and_a_lost_sync_is_found_by_the_sweep(
        client, settings, archive, published_with_files, chief, django_capture_on_commit_callbacks, monkeypatch):
    import json

    import public.archive_files.services as services

    queued = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: queued.append(args))  # the task is lost
    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=published_with_files, user=chief)
    assert queued == [(services.DAY_TASK, published_with_files.pk)]
    # Readers no longer get the day or its papers from a file, whatever the workers do.
    assert not (archive / "days/2026-01-09/index.html").exists()
    assert not list(archive.glob("papers/*/index.html*"))
    assert client.get("/days/2026-01-09/").status_code == 404
    # The sync is recorded as unfinished: not yet a problem, nor for the sweep to take over.
    assert failures_read(archive)["2026-01-09"]["error"] == services.IN_PROGRESS
    assert health_report().part(ARCHIVE_FILES).ok and archive_files_sweep().retried == 0

    record = archive / ".failures.json"
    lost = {"2026-01-09": {"since": "2026-01-01T00:00:00+00:00", "error": services.IN_PROGRESS}}
    record.write_text(json.dumps(lost))  # as if the task had been lost long ago
    assert not health_report().part(ARCHIVE_FILES).ok
    assert archive_files_sweep().retried == 1
    assert failures_read(archive) == {}
    found = assert_files_are_what_the_views_render(client, settings, archive)
    assert b"2026-01-09" not in found["/"] and "/feed/" not in found  # no public day: the feeds from their views
