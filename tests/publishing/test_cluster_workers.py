"""What a real cluster's workers hold before their first task (the cluster forks them from `qcluster`)."""

import sys

import pytest
from django_q.conf import Conf
from django_q.tasks import async_task, result

from tests.publishing.test_cluster import Cluster


def modules_loaded_in_this_worker() -> list[str]:
    """Run as a task: which of the libraries drafting imports on first use this worker already had."""
    return sorted(name for name in ("openai",) if name in sys.modules)


@pytest.mark.timeout_sensitive
def test_workers_start_with_the_llm_library_loaded_once_by_the_cluster(transactional_db, local_server, monkeypatch):
    """Loaded in each worker's first draft, `openai` cost every worker over a second of CPU at the moment
    a day's drafting started; `qcluster` loads it once, before it forks them."""
    monkeypatch.setattr(Conf, "SYNC", False)
    task_id = async_task("tests.publishing.test_cluster_workers.modules_loaded_in_this_worker")
    cluster = Cluster(local_server.url).start()
    try:
        loaded = result(task_id, wait=60_000)
    finally:
        cluster.stop()
    assert loaded == ["openai"], cluster.output()
