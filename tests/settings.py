"""Settings for the test suite: the project's settings with a test secret, no politeness delays,
no network full text, and django-q2 tasks run in-process unless a test starts a real cluster."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("ARXIV_API_DELAY", "0")
os.environ.setdefault("ARXIV_HTTP_BACKOFF", "0")
os.environ.setdefault("DIGEST_FULLTEXT", "0")
os.environ.setdefault("DIGEST_LLM_CONCURRENCY", "1")

from digest_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": os.environ.get("Q_SYNC", "1") == "1"}  # noqa: F405

# A file, not memory, for SQLite's test database: real django-q2 clusters started by the
# tests run in other processes and must see it. One file per test run, so two runs at
# once never share (and corrupt) it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405

# Every request closes its connection, so no thread (the live server's) keeps the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
