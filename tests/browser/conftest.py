"""The browser for end-to-end tests: Playwright driving Debian's Chromium (/usr/bin/chromium, installed
by .ci/run). A test using it skips, saying why, only where no Chromium can be had."""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def chromium():
    """(browser, playwright's `expect`)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium, or set CHROMIUM_PATH)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
    # Playwright's event loop runs in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser, sync_api.expect
        browser.close()
        # While Playwright's event loop runs, Django keeps the test's database connection per context, not per
        # thread: the test database's teardown does not see it, so close it here (PostgreSQL refuses to drop
        # a database still in use).
        connections.close_all()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def browser_page(chromium):
    browser, _ = chromium
    return browser.new_page(locale="en-US")
