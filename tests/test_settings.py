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
        ({"DEBUG": "1", "STATIC_ROOT": "var/static"}, "STATIC_ROOT"),
        ({"DEBUG": "0", "SECRET_KEY": "k", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "maybe"}, "SECURE_HSTS_INCLUDE_SUBDOMAINS"),
        ({"DEBUG": "0", "SECRET_KEY": "k", "SECURE_HSTS_PRELOAD": "2"}, "SECURE_HSTS_PRELOAD"),
        ({"DEBUG": "0", "SECRET_KEY": "k", "USE_X_FORWARDED_HOST": "proxy"}, "USE_X_FORWARDED_HOST"),
        ({"DEBUG": "1", "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"DEBUG": "1", "DJANGO_ADMINS": "Ops <ops at example.org>"}, "DJANGO_ADMINS"),
        ({"DEBUG": "1", "DIGEST_ALERT_EMAILS": "oncall@example.org, nobody"}, "DIGEST_ALERT_EMAILS"),
        ({"DEBUG": "1", "DIGEST_ALERT_WEBHOOK_URL": "hooks.slack.com/services/x"}, "DIGEST_ALERT_WEBHOOK_URL"),
        ({"DEBUG": "1", "DIGEST_ALERT_WEBHOOK_KIND": "teams"}, "DIGEST_ALERT_WEBHOOK_KIND"),
        ({"DEBUG": "1", "DIGEST_PUBLISH_DEADLINE": "10h30"}, "DIGEST_PUBLISH_DEADLINE"),
        ({"DEBUG": "1", "SENTRY_TRACES_SAMPLE_RATE": "2"}, "SENTRY_TRACES_SAMPLE_RATE"),
        ({"DEBUG": "1", "DIGEST_PROMPT_VERSION": "draft-v9"}, "DIGEST_PROMPT_VERSION"),
        ({"DEBUG": "1", "DIGEST_INSTANCE": "two words"}, "DIGEST_INSTANCE"),
        ({"DEBUG": "1", "DIGEST_CACHE_URL": "memcached://127.0.0.1:11211"}, "DIGEST_CACHE_URL"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(tmp_path, variables, named):
    result = start_up(tmp_path, **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr.splitlines()[-1]


def test_defaults_start_with_sqlite_under_var_and_the_reference_digest(tmp_path):
    result = start_up(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_the_instance_is_named_after_the_site_unless_set(tmp_path):
    """Delivery's switch (delivery/switch.py) tells instances apart by DIGEST_INSTANCE: by default the site's
    address without its scheme, so staging (another address) is another instance and http → https is not."""
    def instance(**variables) -> str:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL"))}
        base.update(DEBUG="1", DIGEST_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="digest_site.settings", **variables)
        code = "import django; django.setup(); from django.conf import settings; print(settings.DIGEST_INSTANCE)"
        return subprocess.run([sys.executable, "-c", code], env=base, cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    assert instance() == "127.0.0.1:8000"
    assert instance(DIGEST_SITE_URL="https://Digest.Example.org/daily/") == "digest.example.org/daily"
    assert instance(DIGEST_SITE_URL="https://digest.example.org", DIGEST_INSTANCE="production") == "production"


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
    monkeypatch.setenv("X_HOOK", "https://oapi.dingtalk.com/robot/send?access_token=abc")
    assert env.env_url("X_HOOK", "", query=True) == "https://oapi.dingtalk.com/robot/send?access_token=abc"
    with pytest.raises(ImproperlyConfigured, match="X_HOOK must be an http"):
        env.env_url("X_HOOK", "")  # a site's address takes no query
    monkeypatch.setenv("X_HOOK", "")
    assert env.env_url("X_HOOK", "", query=True) == ""


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


def settings_of(tmp_path, names, **variables) -> dict:
    """The named settings, as repr(), of a process started on digest_site.settings with these variables."""
    base = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES and k != ENVIRONMENT_CLEANED}
    base.update(DIGEST_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="digest_site.settings", **variables)
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: repr(getattr(settings, name, None)) for name in {list(names)!r}}}))"
    )
    result = subprocess.run([sys.executable, "-c", script], env=base, cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_proxy_and_hsts_variables_reach_the_settings(tmp_path):
    names = ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "USE_X_FORWARDED_HOST", "SECURE_REDIRECT_EXEMPT")
    off = settings_of(tmp_path, names, DEBUG="0", SECRET_KEY="k")
    on = settings_of(tmp_path, names, DEBUG="0", SECRET_KEY="k", SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
                     SECURE_HSTS_PRELOAD="yes", USE_X_FORWARDED_HOST="on")
    assert [off[name] for name in names[:3]] == ["False"] * 3
    assert [on[name] for name in names[:3]] == ["True"] * 3
    # Probes over plain HTTP get their answer, not a redirect to HTTPS.
    assert on["SECURE_REDIRECT_EXEMPT"] == repr([r"^healthz$", r"^readyz$"])


def test_static_files_are_hashed_and_compressed_outside_debug_and_plain_under_it(tmp_path):
    production = settings_of(tmp_path, ["STORAGES", "STATIC_ROOT", "MIDDLEWARE"], DEBUG="0", SECRET_KEY="k")
    development = settings_of(tmp_path, ["STORAGES", "STATIC_ROOT"], DEBUG="1")
    assert "whitenoise.storage.CompressedManifestStaticFilesStorage" in production["STORAGES"]
    assert "django.contrib.staticfiles.storage.StaticFilesStorage" in development["STORAGES"]
    assert production["STATIC_ROOT"] == repr(tmp_path / "static")  # under DIGEST_VAR_DIR by default
    assert "'whitenoise.middleware.WhiteNoiseMiddleware'" in production["MIDDLEWARE"]


def test_static_root_can_be_moved_out_of_the_var_dir(tmp_path):
    moved = settings_of(tmp_path, ["STATIC_ROOT"], DEBUG="1", STATIC_ROOT="/app/static")
    assert moved["STATIC_ROOT"] == repr(Path("/app/static"))


def test_an_env_file_is_read_as_honcho_systemd_and_compose_agree(tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text('# a comment\n\nDEBUG=0\nEMPTY=\nFROM="arXiv Daily <digest@example.org>"\nURL=postgres://u:p@h:5432/d\n')
    assert env.env_file_values(env_file) == {
        "DEBUG": "0", "EMPTY": "", "FROM": "arXiv Daily <digest@example.org>", "URL": "postgres://u:p@h:5432/d",
    }


@pytest.mark.parametrize(
    "line",
    [
        "export DEBUG=0",  # a shell's, not systemd's
        "SECRET_KEY=a$b",  # compose expands $b, systemd and honcho do not
        "DEFAULT_FROM_EMAIL=arXiv Daily <digest@example.org>",  # honcho drops the spaces
        "NAME='single quotes'",
        "DEBUG=0  # an inline comment is part of the value for systemd",
        'PATH_ON_WINDOWS="C:\\new"',
        "not a line",
    ],
)
def test_an_env_file_line_the_readers_would_read_differently_is_refused(tmp_path, line):
    env_file = tmp_path / "site.env"
    env_file.write_text(f"DEBUG=0\n{line}\n")
    with pytest.raises(ImproperlyConfigured, match=r"site.env:2: "):
        env.env_file_values(env_file)


def test_an_env_file_that_sets_a_variable_twice_is_refused(tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text("DEBUG=0\nDEBUG=1\n")
    with pytest.raises(ImproperlyConfigured, match="site.env:2: DEBUG is set twice"):
        env.env_file_values(env_file)


def test_the_cache_is_named_by_a_url(monkeypatch):
    for value, backend in [("db://", "db.DatabaseCache"), ("redis://cache:6379/1", "redis.RedisCache"),
                           ("rediss://cache:6380/0", "redis.RedisCache"), ("locmem://", "locmem.LocMemCache")]:
        monkeypatch.setenv("X_CACHE", value)
        assert env.env_cache("X_CACHE", "db://")["BACKEND"] == f"django.core.cache.backends.{backend}"
    monkeypatch.setenv("X_CACHE", "db://")
    assert env.env_cache("X_CACHE", "locmem://")["LOCATION"] == "digest_cache"
    monkeypatch.setenv("X_CACHE", "redis://cache:6379/1")
    assert env.env_cache("X_CACHE", "db://")["LOCATION"] == "redis://cache:6379/1"
    for bad in ("memcached://x", "db://elsewhere", "redis://", "cache"):
        monkeypatch.setenv("X_CACHE", bad)
        with pytest.raises(ImproperlyConfigured, match="X_CACHE must be db://"):
            env.env_cache("X_CACHE", "db://")


def test_migrate_makes_the_database_caches_table(tmp_path):
    """The rate limits count in it (DIGEST_CACHE_URL=db://, the default): no separate createcachetable step."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL"))}
    base.update(DEBUG="1", DIGEST_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="digest_site.settings")
    subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), "migrate", "-v0"], env=base, cwd=REPO_ROOT, check=True)
    counted = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c",
         "from django.core.cache import cache; from django.db import connection; "
         "print('digest_cache' in connection.introspection.table_names(), cache.add('k', 1), cache.add('k', 1))"],
        env=base, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert counted.stdout.splitlines()[-1].split() == ["True", "True", "False"]


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
