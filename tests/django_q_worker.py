"""A django-q2 cluster's work on the queued tasks, in the test's own process: what its pusher, worker and
monitor processes do, through django-q2's own functions (django_q/pusher.py, worker.py, monitor.py),
on the ORM broker and the test's database."""

import queue
from multiprocessing import Value

from django_q.brokers import get_broker
from django_q.monitor import monitor
from django_q.signing import SignedPackage
from django_q.worker import worker


def work_off_queue(*, rounds: int = 5) -> int:
    """Run what the broker holds, round after round (a task may queue others), until it holds nothing
    due; how many tasks ran. Tasks must be queued with sync=False to reach the broker."""
    broker = get_broker()
    ran = 0
    for _ in range(rounds):
        taken = []
        while batch := broker.dequeue():  # as the pusher: each package locked for this cluster
            taken += batch
        if not taken:
            return ran
        tasks, results = queue.Queue(), queue.Queue()
        for ack_id, package in taken:
            task = SignedPackage.loads(package)
            task["ack_id"] = ack_id
            tasks.put(task)
        tasks.put("STOP")
        worker(tasks, results, Value("f", -1), timeout=60)
        results.put("STOP")
        monitor(results, broker)
        ran += len(taken)
    return ran
