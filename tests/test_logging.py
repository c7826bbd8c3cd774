"""Logs (time, level and logger on every line; JSON lines with LOG_FORMAT=json), Django's error mails to
DJANGO_ADMINS, and error reports to a Sentry server (here a real HTTP server on 127.0.0.1)."""

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.local_server import Reply

REPO_ROOT = Path(__file__).resolve().parents[1]

LOGS_SOME_LINES = """
import logging
import django
django.setup()
from django_q.conf import logger as django_q_logger
logging.getLogger("publishing.days.pipeline").info("collected %s: %d papers", "2026-01-09", 3)
django_q_logger.warning("a worker's line")
logging.getLogger("django.request").debug("below the level: not written")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("monitoring.alerts").exception("an alert could not go out\\nsecond line")
"""


def run_on_the_projects_settings(code: str, tmp_path, **variables) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL", "DJANGO_SETTINGS"))}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="digest_site.settings", DIGEST_VAR_DIR=str(tmp_path), **variables)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=60)


def test_every_text_line_starts_with_time_level_and_logger(tmp_path):
    result = run_on_the_projects_settings(LOGS_SOME_LINES, tmp_path)
    assert result.returncode == 0, result.stderr
    starts = [line for line in result.stderr.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", line)]
    assert [line.split(" ", 4)[2:4] for line in starts] == [
        ["INFO", "publishing.days.pipeline:"], ["WARNING", "django-q:"], ["ERROR", "monitoring.alerts:"]]
    assert starts[0].endswith("collected 2026-01-09: 3 papers")
    assert "ZeroDivisionError" in result.stderr


def test_json_lines_parse_and_carry_time_level_and_logger(tmp_path):
    result = run_on_the_projects_settings(LOGS_SOME_LINES, tmp_path, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is one object
    assert [(line["level"], line["logger"]) for line in lines] == [
        ("INFO", "publishing.days.pipeline"), ("WARNING", "django-q"), ("ERROR", "monitoring.alerts")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"]) for line in lines)
    assert lines[2]["message"] == "an alert could not go out\nsecond line"
    assert "ZeroDivisionError: division by zero" in lines[2]["exception"]


@pytest.mark.urls("tests.error_page_urls")
def test_a_server_error_is_mailed_to_the_admins(db, settings, mailoutbox):
    settings.ADMINS = [("Ops", "ops@example.org")]
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert [mail.to for mail in mailoutbox] == [["ops@example.org"]]
    assert "a bug in a view" in mailoutbox[0].subject + mailoutbox[0].body


def test_django_admins_are_read_as_names_and_addresses(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.ADMINS)"
    result = run_on_the_projects_settings(code, tmp_path, DJANGO_ADMINS='Ana Li <ana@example.org>, "Chen, Wei" '
                                                                        '<wei@example.org>, ops@example.org,')
    assert result.stdout.strip() == ("[('Ana Li', 'ana@example.org'), ('Chen, Wei', 'wei@example.org'), "
                                     "('', 'ops@example.org')]")


REPORTS_AN_ERROR = """
import logging
import django
django.setup()
import sentry_sdk
try:
    raise RuntimeError("the morning job broke")
except RuntimeError:
    logging.getLogger("publishing.tasks").exception("run_daily failed")
sentry_sdk.flush(timeout=10)
"""


def test_errors_reach_sentry_when_a_dsn_is_set(tmp_path, local_server):
    local_server.handler = lambda request: Reply(status=200, body=b"{}", headers={"Content-Type": "application/json"})
    host = local_server.url.removeprefix("http://")
    result = run_on_the_projects_settings(REPORTS_AN_ERROR, tmp_path, SENTRY_DSN=f"http://publickey@{host}/42",
                                          SENTRY_ENVIRONMENT="staging")
    assert result.returncode == 0, result.stderr
    envelopes = [request for request in local_server.requests if request.path == "/api/42/envelope/"]
    assert envelopes, [request.path for request in local_server.requests]
    body = b"".join(gzip.decompress(request.body) if request.headers.get("Content-Encoding") == "gzip"
                    else request.body for request in envelopes).decode(errors="replace")
    assert "the morning job broke" in body and '"environment":"staging"' in body.replace(" ", "")


def test_without_a_dsn_sentry_is_not_started(tmp_path):
    code = "import django; django.setup(); import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    result = run_on_the_projects_settings(code, tmp_path)
    assert result.stdout.strip() == "False", result.stderr
