"""The web and the workers refuse to start against a database whose migrations are not this code's, in one
line, and start against one that is."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

from digest_site import __version__
from digest_site.schema import schema_problem

REPO_ROOT = Path(__file__).resolve().parents[1]


def delivery_last_and_previous() -> tuple[str, str]:
    """The delivery app's last migration and the one before it (whatever their numbers are by now)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    last = next(node for node in graph.leaf_nodes() if node[0] == "delivery")
    previous = next(parent for parent in graph.node_map[last].parents if parent[0] == "delivery")
    return last[1], previous[1]


LAST, PREVIOUS = delivery_last_and_previous()
BEHIND = f"delivery.{LAST}"


def environment(tmp_path, **more) -> dict:
    """An operator's environment on a SQLite file of its own in tmp_path (nothing written in the checkout)."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    return {**base, "DEBUG": "1", "DIGEST_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "digest_site.settings",
            "HOME": str(tmp_path), **more}


def manage(tmp_path, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), *args], env=environment(tmp_path),
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)


def gunicorn(tmp_path, port: int, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "digest_site.wsgi", "--bind", f"127.0.0.1:{port}",
         "--no-control-socket", *options],
        env=environment(tmp_path), cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_the_schema_check_names_what_is_missing_or_unknown():
    assert schema_problem() == ""
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("delivery", LAST)
    assert schema_problem() == (f"the database lacks 1 migration(s) of this code (arxiv-digest {__version__}): "
                                f"{BEHIND}; run `manage.py migrate` first")
    recorder.record_applied("delivery", LAST)
    recorder.record_applied("delivery", "0099_from_a_newer_version")
    assert schema_problem().startswith(
        f"the database has migration(s) this code (arxiv-digest {__version__}) does not know: "
        "delivery.0099_from_a_newer_version; a newer version migrated it")


@pytest.mark.timeout_sensitive
def test_web_and_workers_refuse_a_database_one_migration_behind_in_one_line(tmp_path):
    assert manage(tmp_path, "migrate", "-v0").returncode == 0
    assert manage(tmp_path, "migrate", "delivery", PREVIOUS, "-v0").returncode == 0  # one migration behind

    workers = manage(tmp_path, "qcluster", timeout=60)
    assert workers.returncode == 1 and workers.stdout == ""
    assert workers.stderr == (f"CommandError: refusing to start the workers: the database lacks 1 migration(s) of "
                              f"this code (arxiv-digest {__version__}): {BEHIND}; run `manage.py migrate` first\n")

    refusal = (f"web: refusing to start: the database lacks 1 migration(s) of this code (arxiv-digest {__version__}): "
               f"{BEHIND}; run `manage.py migrate` first\n")
    # As documented: --preload, the application (and so the check) loaded once, before any worker.
    web = gunicorn(tmp_path, free_port(), "--preload", "--workers", "2")
    output, _ = web.communicate(timeout=120)
    assert (web.returncode, output) == (4, refusal)
    # Without it each worker checks; gunicorn halts ("App failed to load") instead of booting worker after worker.
    web = gunicorn(tmp_path, free_port(), "--workers", "1")
    output, _ = web.communicate(timeout=120)
    assert web.returncode == 4 and refusal in output and "Reason: App failed to load." in output, output
    assert "Traceback" not in output

    assert manage(tmp_path, "migrate", "-v0").returncode == 0
    port = free_port()
    web = gunicorn(tmp_path, port, "--preload", "--workers", "2")
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{reverse('public:archive')}", timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, web.stdout.read() if web.poll() else ""
                time.sleep(0.5)
    finally:
        web.terminate()
        web.communicate(timeout=30)
