from pathlib import Path

import pytest

from tests.builders import demo_day_drafted, demo_day_published, user_in
from tests.local_server import LocalServer

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
SHARED_ARXIV_FIXTURES = SHARED_DIR / "fixtures" / "arxiv"
OWN_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def shared_arxiv():
    """The recorded arXiv payloads in ../shared/fixtures/arxiv; tests using them skip where it is absent."""
    if not SHARED_ARXIV_FIXTURES.is_dir():
        pytest.skip(f"recorded arXiv payloads not available: {SHARED_ARXIV_FIXTURES} is absent (a plain clone has no ../shared)")
    return SHARED_ARXIV_FIXTURES


@pytest.fixture
def own_data():
    return OWN_DATA


@pytest.fixture
def local_server():
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def editor(db):
    return user_in("Editor", "editor")


@pytest.fixture
def chief(db):
    return user_in("Chief editor", "chief")


@pytest.fixture
def drafted_day(db, django_capture_on_commit_callbacks):
    return demo_day_drafted(django_capture_on_commit_callbacks)


@pytest.fixture
def published_day(db, django_capture_on_commit_callbacks, editor, chief):
    return demo_day_published(django_capture_on_commit_callbacks, editor, chief)
