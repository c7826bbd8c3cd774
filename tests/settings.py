"""Settings for the test suite: the project's settings with a test secret, no politeness delays,
no network full text, and django-q2 tasks run in-process unless a test starts a real cluster.

The suite runs the same whatever the caller's shell holds: every variable the project's
settings read is removed from the environment first (and its `NAME_FILE` form, which
digest_site/env.py reads before it), then the test values are set. Only DATABASE_URL stays,
the test command's switch to PostgreSQL.
"""

import os

# Every variable digest_site/settings.py reads; tests/test_settings.py checks the list is whole.
PROJECT_VARIABLES = (
    "DIGEST_VAR_DIR", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "DIGEST_CACHE_URL",
    "LANGUAGE_CODE", "TIME_ZONE", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "USE_X_FORWARDED_PROTO",
    "USE_X_FORWARDED_HOST", "STATIC_ROOT", "LOG_LEVEL",
    "DIGEST_CATEGORIES", "DIGEST_ANCHOR", "DIGEST_TIMEZONE", "DIGEST_LOOKBACK_DAYS", "DIGEST_PRIMARY_ONLY",
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
    "DIGEST_PUBLIC_RECHECK_SECONDS", "DIGEST_WATCHDOG_MINUTES", "DIGEST_WEBHOOK_ALLOW_PRIVATE",
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL", "DIGEST_EMAIL_CONFIRM_HOURS", "DIGEST_EMAIL_BATCH_SIZE",
    "LOG_FORMAT", "DJANGO_ADMINS", "SERVER_EMAIL",
    "DIGEST_ALERT_EMAILS", "DIGEST_ALERT_WEBHOOK_URL", "DIGEST_ALERT_WEBHOOK_KIND", "DIGEST_METRICS_TOKEN",
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
# Set once the environment is cleaned. A process the tests start on these settings (a real
# qcluster) inherits the cleaned environment plus what its test set on purpose (DATABASE_URL,
# Q_SYNC=0, OPENAI_BASE_URL, Q_REDIS_URL, ...), so it must not be cleaned again.
ENVIRONMENT_CLEANED = "ARXIV_DIGEST_TEST_ENVIRONMENT_CLEANED"

if os.environ.get(ENVIRONMENT_CLEANED) != "1":
    for name in PROJECT_VARIABLES:
        if name not in KEPT_FROM_CALLER:
            os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    os.environ.pop("Q_SYNC", None)  # read below: only for the clusters the tests start
    os.environ.update(TEST_VALUES)
    os.environ[ENVIRONMENT_CLEANED] = "1"

from digest_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before the tests: static files come from the apps, as under DEBUG (the hashed,
# compressed copies of production are tried by deploy/smoke.py and tests/test_deploy.py).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Q_CLUSTER = {**Q_CLUSTER, "sync": os.environ.get("Q_SYNC", "1") == "1"}  # noqa: F405

# A file, not memory, for SQLite's test database: real django-q2 clusters started by the
# tests run in other processes and must see it. One file per test run, so two runs at
# once never share (and corrupt) it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405

# Every request closes its connection, so no thread (the live server's) keeps the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
