"""Database failures are one line naming the cause and the fix, exit 1, and leave the records true:
an unreachable or missing database, a database with no tables, a connection cut mid-fetch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from papers.models import FetchRun, Paper
from tests.builders import DEMO_FEED
from tests.local_server import Reply
from tests.publishing.test_cluster import database_url

REPO_ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env) -> subprocess.CompletedProcess:
    """`manage.py` as an operator runs it, on the project's settings."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    base.update(DEBUG="1", DJANGO_SETTINGS_MODULE="digest_site.settings", ARXIV_API_DELAY="0", ARXIV_HTTP_BACKOFF="0",
                **env)
    return subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), *args], env=base, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


COMMANDS = [
    ("digest_status",),
    ("fetch_papers", "--date", "2026-01-09", "--file", DEMO_FEED),
    ("publish_day", "--date", "2026-01-09"),
    ("migrate",),
]


@pytest.mark.parametrize("database, cause", [
    ("postgres://postgres@127.0.0.1:1/arxiv_digest", "Connection refused"),
    ("postgres://postgres@127.0.0.1:5432/arxiv_digest_no_such_database", "does not exist"),
])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_an_unreachable_or_missing_database_is_one_line(command, database, cause):
    if "5432" in database and not _postgresql_answers():
        pytest.skip("no PostgreSQL at 127.0.0.1:5432 to ask for a missing database")
    result = manage(*command, DATABASE_URL=database)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stdout == "", result.stderr
    assert result.stderr.startswith("DatabaseError: postgresql database") and cause in result.stderr
    assert "check DATABASE_URL" in result.stderr


def test_a_database_with_no_tables_says_to_migrate(tmp_path):
    result = manage("digest_status", DIGEST_VAR_DIR=str(tmp_path))
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "run `manage.py migrate`" in result.stderr


def _postgresql_answers() -> bool:
    import psycopg

    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_mid_fetch_is_one_line_and_the_run_is_recorded_failed(local_server):
    if connection.vendor != "postgresql":
        pytest.skip("cutting one client's connection needs a database server (PostgreSQL)")
    feed = Path(DEMO_FEED).read_bytes()

    def cut_the_fetchers_connection_then_answer(request):
        # While the command waits for arXiv, its database session is killed, as when the server restarts.
        from django.db import connections

        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name = 'fetch-under-test'")
        connections["default"].close()
        return Reply(body=feed)

    local_server.handler = cut_the_fetchers_connection_then_answer
    result = manage("fetch_papers", "--date", "2026-01-09",
                    DATABASE_URL=f"{database_url()}?application_name=fetch-under-test",
                    ARXIV_API_URL=f"{local_server.url}/api/query")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "the database failed during the fetch" in result.stderr
    run = FetchRun.objects.get()
    assert run.status == FetchRun.Status.FAILED and "the database failed during the fetch" in run.error
    assert not Paper.objects.exists()


@pytest.mark.django_db
def test_a_run_left_running_by_a_lost_process_is_recorded_failed_when_the_next_fetch_starts():
    import datetime as dt

    from django.utils import timezone

    from publishing.days.collection import day_collect

    lost = FetchRun.objects.create(digest_date=dt.date(2026, 1, 8), window_start=timezone.now(),
                                   window_end=timezone.now(), query_start=timezone.now(), source="api",
                                   started_at=timezone.now() - dt.timedelta(hours=2))
    recent = FetchRun.objects.create(digest_date=dt.date(2026, 1, 8), window_start=timezone.now(),
                                     window_end=timezone.now(), query_start=timezone.now(), source="api")
    day_collect(date=dt.date(2026, 1, 9), source="file", files=[DEMO_FEED])
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.status == FetchRun.Status.FAILED and lost.error.startswith("interrupted")
    assert recent.status == FetchRun.Status.RUNNING  # it may still be fetching


def test_a_postgresql_database_with_no_tables_says_to_migrate():
    if not _postgresql_answers():
        pytest.skip("no PostgreSQL at 127.0.0.1:5432 to make an empty database in")
    import psycopg

    name = f"arxiv_digest_empty_{os.getpid()}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        result = manage("digest_status", DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}")
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "run `manage.py migrate`" in result.stderr
