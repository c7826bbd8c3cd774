"""Settings for the test suite: the project's settings with a test secret and no politeness delay."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("ARXIV_API_DELAY", "0")
os.environ.setdefault("ARXIV_HTTP_BACKOFF", "0")

from digest_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
