import datetime as dt
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from digest_site import env
from tests.settings import ENVIRONMENT_CLEANED, PROJECT_VARIABLES

REPO_ROOT = Path(__file__).resolve().parents[1]


def start_up(tmp_path, **variables) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL", "SECRET_KEY", "DEBUG"))}
    base.update(DIGEST_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="digest_site.settings")
    base.update(variables)
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "check"], env=base, cwd=REPO_ROOT, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "variables, named",
    [
        ({"DEBUG": "1", "DIGEST_ANCHOR": "25:00"}, "DIGEST_ANCHOR"),
        ({"DEBUG": "1", "DIGEST_TIMEZONE": "Mars/Olympus"}, "DIGEST_TIMEZONE"),
        ({"DEBUG": "1", "DIGEST_CATEGORIES": "cs.SD, not a category"}, "DIGEST_CATEGORIES"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "1", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"DEBUG": "1", "ARXIV_API_DELAY": "soon"}, "ARXIV_API_DELAY"),
        ({"DEBUG": "1", "DIGEST_ARXIV_HOLIDAYS": "2026-12-25,christmas"}, "DIGEST_ARXIV_HOLIDAYS"),
        ({"DEBUG": "1", "Q_TIMEOUT": "900", "Q_RETRY": "600"}, "Q_RETRY"),
        ({"DEBUG": "1", "DIGEST_SITE_URL": "digest.example.org"}, "DIGEST_SITE_URL"),
        ({"DEBUG": "1", "EMAIL_BACKEND": "sendmail"}, "EMAIL_BACKEND"),
        ({"DEBUG": "1", "EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
        ({"DEBUG": "1", "EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(tmp_path, variables, named):
    result = start_up(tmp_path, **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr.splitlines()[-1]


def test_defaults_start_with_sqlite_under_var_and_the_reference_digest(tmp_path):
    result = start_up(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env.env_str("SECRET_KEY") == "s3cret"


def test_helpers_parse_and_refuse(monkeypatch):
    monkeypatch.setenv("X_LIST", " cs.SD, eess.AS ,cs.SD,,")
    assert env.env_list("X_LIST", []) == ["cs.SD", "eess.AS"]
    monkeypatch.setenv("X_TIME", "8:05")
    assert env.env_time("X_TIME", "08:50") == dt.time(8, 5)
    monkeypatch.setenv("X_INT", "-3")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be at least 0"):
        env.env_int("X_INT", 1, minimum=0)
    monkeypatch.setenv("X_BOOL", "yes")
    assert env.env_bool("X_BOOL", False) is True


def test_sqlite_from_database_url_gets_the_locking_options_workers_need(tmp_path):
    """Without them a worker's write fails at once with "database is locked" while another writes."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL"))}
    base.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", DJANGO_SETTINGS_MODULE="digest_site.settings")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c",
         "from django.conf import settings; print(sorted(settings.DATABASES['default']['OPTIONS'].items()))"],
        env=base, cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    assert "('timeout', 30)" in result.stdout and "('transaction_mode', 'IMMEDIATE')" in result.stdout


def test_the_test_settings_know_every_variable_the_settings_read(monkeypatch, tmp_path):
    """tests/settings.py clears the caller's values of PROJECT_VARIABLES; one missing there would leak in."""
    read = set()
    raw = env._raw
    monkeypatch.setattr(env, "_raw", lambda name: read.add(name) or raw(name))
    monkeypatch.setenv("DIGEST_VAR_DIR", str(tmp_path))
    for debug in ("0", "1"):  # some variables are read only outside DEBUG
        monkeypatch.setenv("DEBUG", debug)
        runpy.run_path(str(REPO_ROOT / "digest_site" / "settings.py"))
    assert read == set(PROJECT_VARIABLES)


SETTINGS_AS_JSON = """
import json
import django
django.setup()
from django.conf import settings
values = {name: repr(getattr(settings, name)) for name in dir(settings) if name.isupper()}
values["DATABASES"] = repr({**settings.DATABASES["default"], "TEST": "one file per process"})
print(json.dumps(values))
"""


def test_the_callers_settings_variables_do_not_reach_the_tests(tmp_path):
    def settings_under(**variables) -> dict:
        base = {k: v for k, v in os.environ.items() if k != ENVIRONMENT_CLEANED}  # as a caller's shell
        base.update(DJANGO_SETTINGS_MODULE="tests.settings", **variables)
        result = subprocess.run(
            [sys.executable, "-c", SETTINGS_AS_JSON], env=base, cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
        return json.loads(result.stdout)

    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    callers = settings_under(
        DEBUG="1", SECRET_KEY_FILE=str(secret), ALLOWED_HOSTS="example.org", LANGUAGE_CODE="en", TIME_ZONE="UTC",
        DIGEST_CATEGORIES="cs.CL", DIGEST_VAR_DIR=str(tmp_path), DIGEST_JEKYLL_POSTS_DIR=str(tmp_path),
        DIGEST_LLM_MODEL="gpt-x", OPENAI_BASE_URL="https://llm.example.org/v1", OPENAI_API_KEY="sk-caller",
        ARXIV_API_DELAY="9", Q_REDIS_URL="redis://example.org:6379/0", Q_SYNC="0",
    )
    assert callers == settings_under()
    assert (callers["DEBUG"], callers["LANGUAGE_CODE"], callers["DIGEST_LLM_MODEL"]) == ("False", "'zh-hans'", "''")
    assert callers["SECRET_KEY"] == repr("tests-only-not-a-secret")


def test_the_tests_write_into_a_temporary_folder_not_the_checkout(settings):
    """tests/settings.py points DIGEST_VAR_DIR (and SQLite's test database) outside the checkout, and the
    processes the tests start inherit it; tests/conftest.py fails a run that writes into the checkout anyway."""
    assert not Path(settings.VAR_DIR).resolve().is_relative_to(REPO_ROOT)
    assert os.environ["DIGEST_VAR_DIR"] == str(settings.VAR_DIR)
    test_database = settings.DATABASES["default"].get("TEST", {}).get("NAME") or ""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert Path(test_database).resolve().is_relative_to(settings.VAR_DIR)


@pytest.mark.django_db
def test_a_process_the_tests_start_is_handed_the_test_database_of_its_pytest_process():
    """Under pytest-xdist each worker has its own test database (test_arxiv_digest_gw1, test.sqlite3_gw1); a
    qcluster or manage.py a test starts must use that one, not the database the settings name."""
    from django.db import connection

    from tests.publishing.test_cluster import database_url

    name = str(connection.settings_dict["NAME"])
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert name.endswith(f"_{worker}")
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "--no-imports", "-c",
         "from django.db import connection; print(connection.settings_dict['NAME'])"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    assert result.stdout.strip() == name
