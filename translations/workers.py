"""Whether a worker that reads our tasks is alive: the watchdog's evidence before it fails a draft.

A draft handed to the workers and not taken within a lease either waits its turn in a long queue, or
lost its task with a worker cluster that died holding it (Redis hands a task out once, and a cluster
fetches tasks ahead of its workers: killed, it takes those with it), or no worker reads the tasks at
all. Only the last deserves a failure: the others are handed out again, and since a worker claims its
draft with a conditional update, a task handed out twice still drafts once.

Any one of these says a worker is alive:

1. this code runs in one: the watchdog's Schedule runs it in a worker (`in_worker`);
2. the broker lists a cluster: every cluster writes its status (django-q2's `Stat`) each half second,
   kept three seconds, signed with SECRET_KEY and keyed by Q_NAME, so only clusters that can read our
   tasks are listed. Redis keeps them itself; the ORM broker keeps them in Django's cache, which every
   process shares when it is the database's or Redis (DIGEST_CACHE_URL, db:// by default) and no other
   process sees when it is memory (locmem://: then it is not asked);
3. a cluster's scheduler moved the watchdog's Schedule on within the last two periods, on any broker
   (the heartbeat `publishing.days.schedule.workers_status` also reads).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.signing import BadSignature, SignedPackage

logger = logging.getLogger(__name__)

# The watchdog's task, as its Schedule names it (translations.tasks).
WATCHDOG_TASK = "translations.tasks.drafts_watchdog_task"


@dataclass(frozen=True)
class WorkersSeen:
    alive: bool
    evidence: str  # what showed it, or what was looked at


def workers_seen(*, now: dt.datetime | None = None, in_worker: bool = False) -> WorkersSeen:
    """Whether a worker reading our queue is alive, and how we know (the module's docstring lists the ways)."""
    if in_worker:
        return WorkersSeen(True, "the watchdog runs in a worker")
    clusters = clusters_in_broker()
    if clusters:
        hosts = sorted({cluster.host for cluster in clusters})
        return WorkersSeen(True, f"{len(clusters)} worker cluster(s) in the broker ({', '.join(hosts)})")
    now = now or timezone.now()
    schedule = Schedule.objects.filter(func=WATCHDOG_TASK).only("next_run", "minutes").order_by("-next_run").first()
    if schedule is not None and schedule.next_run is not None:
        if now - schedule.next_run <= dt.timedelta(minutes=2 * (schedule.minutes or 1)):
            return WorkersSeen(True, f"a worker cluster's scheduler runs the watchdog (next run {schedule.next_run:%H:%M})")
    return WorkersSeen(False, "no worker cluster in the broker, and none has run the watchdog's schedule lately")


def clusters_in_broker() -> list:
    """The clusters that wrote their status to the broker in the last three seconds (see above)."""
    broker = get_broker()
    if not isinstance(broker, Redis) and isinstance(broker.cache, (LocMemCache, DummyCache, type(None))):
        return []  # this process's own memory: no other process's status is there
    try:
        if isinstance(broker, Redis):
            packs = broker.get_stats(f"{Conf.Q_STAT}:*") or []
        else:
            packs = _stats_in_cache(broker.cache)
    except Exception as exc:  # the broker is down: nothing seen (the tasks cannot move either)
        logger.warning("could not read the worker clusters from the broker: %s", exc)
        return []
    clusters = []
    for pack in packs:
        if pack is None:  # expired between listing the keys and reading them
            continue
        try:
            clusters.append(SignedPackage.loads(pack))
        except BadSignature:  # another SECRET_KEY: that cluster cannot read our tasks either
            continue
    return clusters


def _stats_in_cache(cache) -> list:
    """The statuses the ORM broker's clusters keep in Django's cache, read only: django-q2's own
    `get_stats` also writes its list of keys back, and a page that asks must not write."""
    keys = cache.get(Conf.Q_STAT) or []
    return list(cache.get_many(keys).values()) if keys else []

