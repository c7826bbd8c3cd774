"""Redis as django-q2's broker for tests that start real clusters: a Redis database of the pytest
process's own, a queue name of the test's own, and only that queue's keys deleted afterwards."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django_q.conf import Conf


def redis_url() -> str:
    """A Redis database of this pytest process's own: 15 without pytest-xdist and for its worker gw0, 14 for
    gw1, and so on down, so that tests on other workers never see (or delete) its keys."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    assert worker < 15, "Redis has databases 1 to 15 for the tests: run them on at most 15 workers"
    return f"redis://127.0.0.1:6379/{15 - worker}"


def redis_or_skip(url: str):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {url} ({exc}); the Redis broker tests need one")
    return client


def redis_forget(client, queue_name: str) -> None:
    """Delete what clusters named `queue_name` keep in Redis (the queue, their status), in this test's
    database only. Not FLUSHDB: another checkout's suite may be using the same database number."""
    for key in client.scan_iter(f"django_q:{queue_name}:*"):
        client.delete(key)


@dataclass(frozen=True)
class RedisBroker:
    url: str
    queue_name: str
    client: object

    @property
    def queue_key(self) -> str:
        return f"django_q:{self.queue_name}:q"  # where django-q2's Redis broker keeps the tasks

    def cluster_env(self) -> dict[str, str]:
        """What a `qcluster` started by the test needs to read this queue."""
        return {"Q_REDIS_URL": self.url, "Q_NAME": self.queue_name}


@contextmanager
def redis_broker(monkeypatch):
    """This process hands its tasks to Redis under a queue name of the test's own (skipped without Redis)."""
    url = redis_url()
    client = redis_or_skip(url)
    queue_name = f"arxiv-digest-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    for name, value in {"SYNC": False, "ORM": None, "REDIS": url, "PREFIX": queue_name, "CLUSTER_NAME": queue_name,
                        # computed from the name when django-q2's settings were read: set with it
                        "Q_STAT": f"django_q:{queue_name}:cluster"}.items():
        monkeypatch.setattr(Conf, name, value)
    try:
        yield RedisBroker(url, queue_name, client)
    finally:
        redis_forget(client, queue_name)
