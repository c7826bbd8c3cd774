"""Settings for the test suite: the project's settings with a test secret, no politeness delays,
no network full text, and django-q2 tasks run in-process unless a test starts a real cluster.

The suite runs the same whatever the caller's shell holds: every variable the project's
settings read is removed from the environment first (and its `NAME_FILE` form, which
digest_site/env.py reads before it), then the test values are set. Only DATABASE_URL stays,
the test command's switch to PostgreSQL. DIGEST_VAR_DIR is a temporary folder of the run's own:
the tests never write into the checkout.
"""

import atexit
import os
import shutil
import tempfile

# Every variable digest_site/settings.py reads; tests/test_settings.py checks the list is whole.
PROJECT_VARIABLES = (
    "DIGEST_VAR_DIR", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "DIGEST_CACHE_URL",
    "LANGUAGE_CODE", "TIME_ZONE", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "USE_X_FORWARDED_PROTO",
    "USE_X_FORWARDED_HOST", "STATIC_ROOT", "LOG_LEVEL",
    "DIGEST_FIRST_SLUG", "DIGEST_FIRST_NAME", "DIGEST_CATEGORIES", "DIGEST_ANCHOR", "DIGEST_TIMEZONE", "DIGEST_LOOKBACK_DAYS", "DIGEST_PRIMARY_ONLY",
    "DIGEST_INCLUDE_KEYWORDS", "DIGEST_EXCLUDE_KEYWORDS", "DIGEST_ANNOUNCE_TYPES",
    "DIGEST_VISIBILITY_GRACE_HOURS", "DIGEST_ARXIV_HOLIDAYS",
    "ARXIV_API_URL", "ARXIV_RSS_URL", "ARXIV_API_DELAY", "ARXIV_API_PAGE_SIZE", "ARXIV_HTTP_TIMEOUT",
    "ARXIV_HTTP_RETRIES", "ARXIV_HTTP_BACKOFF", "ARXIV_EMPTY_PAGE_RETRIES", "ARXIV_USER_AGENT",
    "ARXIV_CONTACT_EMAIL",
    "Q_REDIS_URL", "Q_NAME", "Q_WORKERS", "Q_TIMEOUT", "Q_RETRY", "Q_MAX_ATTEMPTS",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "DIGEST_LLM_MODEL", "DIGEST_LLM_TIMEOUT", "DIGEST_LLM_CONCURRENCY",
    "DIGEST_LLM_RETRIES", "DIGEST_LLM_RESPONSE_FORMAT", "DIGEST_LLM_TEMPERATURE", "DIGEST_PROMPT_VERSION",
    "DIGEST_FULLTEXT", "DIGEST_FULLTEXT_CHARS", "ARXIV_HTML_URL", "ARXIV_PDF_URL",
    "DIGEST_EXPORT_SUFFIX", "DIGEST_JEKYLL_POSTS_DIR", "DIGEST_SITE_TITLE", "DIGEST_SITE_URL",
    "DIGEST_INSTANCE",
    "DIGEST_PUBLIC_RECHECK_SECONDS", "DIGEST_STATIC_ARCHIVE_DIR", "DIGEST_WATCHDOG_MINUTES", "DIGEST_WEBHOOK_ALLOW_PRIVATE",
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL", "DIGEST_EMAIL_CONFIRM_HOURS", "DIGEST_EMAIL_BATCH_SIZE",
    "LOG_FORMAT", "DJANGO_ADMINS", "SERVER_EMAIL",
    "DIGEST_ALERT_EMAILS", "DIGEST_ALERT_WEBHOOK_URL", "DIGEST_ALERT_WEBHOOK_KIND", "DIGEST_METRICS_TOKEN",
    "DIGEST_PUBLISH_DEADLINE",
    "SENTRY_DSN", "SENTRY_ENVIRONMENT", "SENTRY_TRACES_SAMPLE_RATE",
)
KEPT_FROM_CALLER = {"DATABASE_URL"}
TEST_VALUES = {
    "SECRET_KEY": "tests-only-not-a-secret",
    "ARXIV_API_DELAY": "0",
    "ARXIV_HTTP_BACKOFF": "0",
    "DIGEST_FULLTEXT": "0",
    "DIGEST_LLM_CONCURRENCY": "1",
    # One instance for the test process and the workers it starts, whatever DIGEST_SITE_URL a test gives them
    # (the test database records it as the one that delivers; tests of a restored copy change it).
    "DIGEST_INSTANCE": "tests",
    # The tests' webhook receivers listen on 127.0.0.1; the tests of the refusal turn it off.
    "DIGEST_WEBHOOK_ALLOW_PRIVATE": "1",
}
# Set once the environment is cleaned, to the pytest process it was prepared for ("main", or the
# pytest-xdist worker's id). A process the tests start on these settings (a real qcluster)
# inherits the cleaned environment plus what its test set on purpose (DATABASE_URL, Q_SYNC=0,
# OPENAI_BASE_URL, Q_REDIS_URL, ...), so it must not be cleaned again.
ENVIRONMENT_CLEANED = "ARXIV_DIGEST_TEST_ENVIRONMENT_CLEANED"
# The run's temporary folder, made by the first pytest process (pytest itself, or pytest-xdist's
# controller) and removed when that process ends. Not a project variable: a process started as
# from a caller's shell (tests/test_settings.py) keeps it, and so finds the same folder.
RUN_FOLDER = "ARXIV_DIGEST_TEST_RUN_FOLDER"
PYTEST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")

prepared_for = os.environ.get(ENVIRONMENT_CLEANED)
if prepared_for is None:
    for name in PROJECT_VARIABLES:
        if name not in KEPT_FROM_CALLER:
            os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    os.environ.pop("Q_SYNC", None)  # read below: only for the clusters the tests start
    os.environ.update(TEST_VALUES)
if prepared_for != PYTEST_PROCESS:
    # What the tests write (the SQLite test database, mail, exported posts, the demo's webhook log)
    # goes to a folder of each pytest process's own, never into the checkout; a process the tests
    # start inherits DIGEST_VAR_DIR and so writes beside its test.
    if RUN_FOLDER not in os.environ:
        os.environ[RUN_FOLDER] = tempfile.mkdtemp(prefix="arxiv-digest-tests-")
        atexit.register(shutil.rmtree, os.environ[RUN_FOLDER], ignore_errors=True)
    os.environ["DIGEST_VAR_DIR"] = os.path.join(os.environ[RUN_FOLDER], PYTEST_PROCESS)
    os.makedirs(os.environ["DIGEST_VAR_DIR"], exist_ok=True)
    os.environ[ENVIRONMENT_CLEANED] = PYTEST_PROCESS

from digest_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before the tests: static files come from the apps, as under DEBUG (the hashed,
# compressed copies of production are tried by deploy/smoke.py and tests/test_deploy.py).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# No published pages as files unless a test asks (tests/public/test_archive_files.py): the database is rolled
# back after each test, a folder of files would not be.
DIGEST_STATIC_ARCHIVE_DIR = None
Q_CLUSTER = {**Q_CLUSTER, "sync": os.environ.get("Q_SYNC", "1") == "1"}  # noqa: F405

# A file, not memory, for SQLite's test database: real django-q2 clusters started by the
# tests run in other processes and must see it. It is in the pytest process's own folder
# (above), and pytest-django adds the xdist worker's id to its name (test.sqlite3_gw0).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
    # A test database needs no durability: a commit is not synced to disk, which each commit of
    # SQLite's would otherwise wait for.
    DATABASES["default"]["OPTIONS"]["init_command"] += " PRAGMA synchronous=OFF;"  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # Likewise on PostgreSQL: a commit returns before the server has synced it to disk (every other
    # session, a worker's included, still sees it at once).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405

# Every request closes its connection, so no thread (the live server's) keeps the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
