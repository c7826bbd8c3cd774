from pathlib import Path

import pytest

from tests.local_server import LocalServer

OWN_DATA = Path(__file__).resolve().parent / "data"
ARXIV_PAYLOADS = OWN_DATA / "arxiv"


@pytest.fixture
def arxiv_payloads():
    """The real arXiv answers recorded by other arXiv clients, copied unchanged into tests/data/arxiv (see its README)."""
    return ARXIV_PAYLOADS


@pytest.fixture
def own_data():
    return OWN_DATA


@pytest.fixture
def local_server():
    server = LocalServer().start()
    yield server
    server.stop()
