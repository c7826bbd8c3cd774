import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from papers.models import FetchRun
from publishing.models import Entry
from tests.builders import DEMO_FEED
from tests.local_server import Reply
from tests.publishing.test_cluster import database_url

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_fetch_papers_from_a_file_ends_with_one_summary_line():
    output = run("fetch_papers", "--date", "2026-01-09", "--file", str(DEMO_FEED))
    lines = output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("2026-01-09: fetched 7, kept 6 new, 0 already held, 0 filtered out, 1 outside the window")
    assert Entry.objects.count() == 6


@pytest.mark.django_db
def test_fetch_papers_uses_the_api_by_default_and_todays_digest_date(local_server, settings, arxiv_payloads):
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    local_server.queue.append(Reply(body=(arxiv_payloads / "api_atom_2026_empty_totalResults0_id_0000.0000.xml").read_bytes()))
    run("fetch_papers")
    fetch = FetchRun.objects.get()
    assert fetch.source == "api" and fetch.status == FetchRun.Status.SUCCEEDED
    assert fetch.digest_date == dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert local_server.requests[0].path == "/api/query"
    assert "cat:cs.SD OR cat:eess.AS" in local_server.requests[0].query["search_query"][0]


@pytest.mark.django_db
def test_fetch_papers_reads_the_rss_feed_when_asked(local_server, settings, arxiv_payloads):
    settings.ARXIV_RSS_URL = f"{local_server.url}/rss"
    local_server.queue.append(Reply(body=(arxiv_payloads / "rss2_2024-11-28_test_archive_empty.xml").read_bytes()))
    run("fetch_papers", "--source", "rss", "--date", "2024-11-28")
    assert local_server.requests[0].path == "/rss/cs.SD+eess.AS"
    assert FetchRun.objects.get().source == "rss"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--date", "2026-02-30"], "--date: '2026-02-30' is not a date as YYYY-MM-DD"),
        (["--source", "ftp"], "unknown source 'ftp'"),
        (["--source", "rss", "--file", "x.xml"], "do not combine it with --source"),
        (["--file", "/nonexistent/feed.xml"], "cannot read /nonexistent/feed.xml"),
    ],
)
def test_bad_arguments_give_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("fetch_papers", *args)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fixture, message",
    [
        ("api_atom_2026_error_http400_incorrect_id_format.xml", "arXiv API error: incorrect id format for abc"),
        ("rss2_2024-11-28_error_bad_archive.xml", "arXiv RSS error: Bad archive 'astroph'"),
    ],
)
def test_arxiv_error_answers_in_files_fail_the_run(arxiv_payloads, fixture, message):
    with pytest.raises(CommandError, match=message):
        run("fetch_papers", "--date", "2026-01-09", "--file", str(arxiv_payloads / fixture))
    assert FetchRun.objects.get().status == FetchRun.Status.FAILED
    assert not Entry.objects.exists()


@pytest.mark.django_db
def test_digest_status_json_describes_the_day():
    run("fetch_papers", "--date", "2026-01-09", "--file", str(DEMO_FEED))
    status = json.loads(run("digest_status", "--date", "2026-01-09", "--json"))
    assert status["date"] == "2026-01-09"
    assert status["status"] == "collecting"
    assert status["window_start"] == "2026-01-08T08:50:00+08:00"
    assert status["window_end"] == "2026-01-09T08:50:00+08:00"
    assert (status["fetched"], status["kept"]) == (6, 6)
    assert status["last_fetch"]["status"] == "succeeded"


@pytest.mark.django_db
def test_digest_status_of_a_day_never_collected():
    status = json.loads(run("digest_status", "--date", "2026-01-01", "--json"))
    assert status["status"] == "not_collected"
    assert (status["fetched"], status["kept"], status["last_fetch"]) == (0, 0, None)
    assert status["window_end"] == "2026-01-01T08:50:00+08:00"


# transaction=True: the commands write from processes of their own, so the test holds no transaction open.
@pytest.mark.django_db(transaction=True)
def test_command_line_failure_is_one_line_and_exits_non_zero(tmp_path):
    """The real CLI, in separate processes on the project's settings, on the test's (migrated) database."""
    env = {**os.environ, "DATABASE_URL": database_url(), "DIGEST_VAR_DIR": str(tmp_path), "DEBUG": "1",
           "DJANGO_SETTINGS_MODULE": "digest_site.settings"}
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]
    html_page = tmp_path / "page.xml"
    html_page.write_text("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")

    failed = subprocess.run(
        [*manage, "fetch_papers", "--date", "2026-01-09", "--file", str(html_page)],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert failed.returncode == 1
    assert failed.stderr.strip().count("\n") == 0
    assert "HTML page instead of a feed" in failed.stderr and "502 Bad Gateway" in failed.stderr

    status = subprocess.run(
        [*manage, "digest_status", "--date", "2026-01-09", "--json"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    described = json.loads(status.stdout)
    assert described["status"] == "not_collected"
    assert described["last_fetch"]["status"] == "failed"
    assert "HTML page" in described["last_fetch"]["error"]

    bad_date = subprocess.run([*manage, "fetch_papers", "--date", "0001-01-01"], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True)
    assert bad_date.returncode == 1 and bad_date.stderr.strip().count("\n") == 0
    assert "before arXiv's first announcement" in bad_date.stderr


@pytest.mark.django_db
def test_fetch_papers_refuses_an_oversized_answer_in_one_line(local_server, settings, monkeypatch):
    monkeypatch.setattr("papers.arxiv_client.MAX_ANSWER_BYTES", 1_000_000)
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    local_server.handler = lambda request: Reply(status=200, stream=iter([b"x" * 65_536] * 50))  # 3.3 MB
    with pytest.raises(CommandError) as refused:
        run("fetch_papers", "--date", "2026-01-09")
    message = str(refused.value)
    assert "larger than 1 MB" in message and "\n" not in message
    assert FetchRun.objects.get().status == FetchRun.Status.FAILED
