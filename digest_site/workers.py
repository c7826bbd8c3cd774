"""What a worker does with a task it cannot run: it leaves the task for a worker that can, and says so.

django-q2 (1.11, `django_q/worker.py`) finds a task's function by its dotted name; when no function has
that name the run fails (`ValueError: Function … is not defined`): the ORM broker hands it out again
after Q_RETRY until Q_MAX_ATTEMPTS runs have failed, Redis never. In a mixed-version moment such a name is
- a task renamed since, queued by a process of the last version: the app that renamed it declares the
  former name (`task_renamed`), and the task is queued again at once under today's name;
- a task of a newer version, queued by a process already upgraded: it is put back, a one-off Schedule
  in PUT_BACK_DELAY, again and again until a worker that has the function takes it.
Either way the run that could not start is acknowledged (the broker does not hand it out again beside
the new one) and its failure record removed: nothing failed, the work went on. With `sync` (the tests'
in-process mode) the caller gets django-q2's error, as before.

The receivers run in django-q2's processes: `pre_execute` in the worker that took the task (the
function is looked up before it), `post_execute` in the monitor that records the result.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_q.models import Schedule, Task
from django_q.signals import post_execute, pre_execute
from django_q.tasks import async_task

from digest_site import __version__

logger = logging.getLogger(__name__)

# Long enough for a worker of another version to take the task first, short enough to keep a day's
# drafts moving; below every lease (Q_TIMEOUT), so a put-back draft never looks abandoned.
PUT_BACK_DELAY = dt.timedelta(seconds=60)
PUT_BACK_PREFIX = "left for a newer worker: "
# Marks, in the task's package, a run that handed its work on (read by the monitor's receiver).
HANDED_ON = "arxiv_digest_handed_on"

# Former dotted names of renamed tasks → today's (each app declares its own in its ready()).
_renamed: dict[str, str] = {}


def task_renamed(former: str, current: str) -> None:
    """Declare that the task `former` is now `current`: tasks queued under the old name still run."""
    _renamed[former] = current


def task_put_back(*, func: str, args: tuple = (), kwargs: dict | None = None, task_name: str,
                  delay: dt.timedelta = PUT_BACK_DELAY) -> bool:
    """Queue `func(*args, **kwargs)` again in `delay`, named `task_name`, once (a put-back already
    waiting under that name is not doubled); whether this call made it."""
    _schedule, created = Schedule.objects.get_or_create(
        name=(PUT_BACK_PREFIX + task_name)[:100],
        defaults={"func": func, "args": repr(tuple(args)),
                  "kwargs": repr({**(kwargs or {}), "q_options": {"task_name": task_name}}),
                  "schedule_type": Schedule.ONCE, "repeats": -1, "next_run": timezone.now() + delay})
    return created


def _hand_on_unknown_task(sender, func, task, **kwargs) -> None:
    """pre_execute: the function of `task` is not in this code (`func` is None); hand the work on."""
    if func is not None or callable(task.get("func")) or task.get("sync"):
        return
    try:
        _hand_on(task)
    except Exception:  # an exception here would end the worker process: the run fails as django-q2's instead
        logger.exception("task %s (%s) could not be handed on", task.get("func"), task.get("name"))


def _hand_on(task: dict) -> None:
    name, task_name = task["func"], task["name"]
    current = _renamed.get(name)
    if current is not None:
        options = {"task_name": task_name, "sync": False, **({"group": task["group"]} if task.get("group") else {})}
        async_task(current, *task["args"], q_options=options, **task["kwargs"])
        task[HANDED_ON] = f"renamed {current}: queued again under that name"
    else:
        task_put_back(func=name, args=tuple(task["args"]), kwargs=task["kwargs"], task_name=task_name)
        task[HANDED_ON] = (f"this worker (arxiv-digest {__version__}) has no such function: left for a newer "
                           f"worker, queued again in {PUT_BACK_DELAY.seconds} s")
    task["ack_failure"] = True  # the broker forgets this run; the work went on under a new one
    logger.warning("task %s (%s): %s", name, task_name, task[HANDED_ON])


def _forget_handed_on_run(sender, task, **kwargs) -> None:
    """post_execute: the run that handed its work on is no failure; its record goes, and django-q2's
    own log line of it says what happened instead of a traceback."""
    if not task.get(HANDED_ON):
        return
    Task.objects.filter(id=task["id"], success=False).delete()
    task["result"] = f"not run here: {task[HANDED_ON]}"


def connect_receivers() -> None:
    pre_execute.connect(_hand_on_unknown_task, dispatch_uid="arxiv_digest_hand_on_unknown_task")
    post_execute.connect(_forget_handed_on_run, dispatch_uid="arxiv_digest_forget_handed_on_run")
