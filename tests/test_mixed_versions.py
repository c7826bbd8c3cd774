"""Workers and web of different versions, as during an upgrade: a worker given a task it cannot run leaves
it for a worker that can and says so; nothing is failed, nothing is lost.

The tasks go through django-q2's own pusher, worker and monitor functions, in this process, on the ORM
broker (tests/django_q_worker.py): what a real cluster does with them."""

import ast
import datetime as dt
import logging

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task

from delivery.models import EmailDelivery
from delivery.schedule import deliveries_sweep
from delivery.subscribers import subscriber_confirm, subscriber_subscribe
from digest_site import __version__
from digest_site.workers import PUT_BACK_PREFIX, task_put_back
from tests.django_q_worker import work_off_queue


def confirmed(email):
    subscribed = subscriber_subscribe(email=email, by_worker=False)
    return subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def mail_due(published_day, smtp_server):
    """A published day's mail to one reader, due and not yet sent."""
    return EmailDelivery.objects.create(subscriber=confirmed("ana@example.org"),
                                        publication=published_day.live_publication)


def editions(server):
    return [mail for mail in server.received if "请确认订阅" not in mail.message["Subject"]]


def warnings_of(caplog) -> list[str]:
    """Our warnings (django-q2's own, e.g. on keeping connections in sync mode, are not the subject)."""
    return [record.getMessage() for record in caplog.records
            if record.levelno == logging.WARNING and not record.name.startswith("django-q")]


def test_a_task_queued_under_its_former_name_runs_under_todays(mail_due, smtp_server, caplog):
    """A web process of 1.0 queued the email batch as publishing.tasks.email_batch_task; a worker of this
    version runs it as delivery.tasks.email_batch_task instead of failing it (`… is not defined`)."""
    publication_id = mail_due.publication_id
    async_task("publishing.tasks.email_batch_task", publication_id, task_name=f"email-{publication_id}", sync=False)

    assert work_off_queue() == 2  # the old name, handed on; then today's

    mail_due.refresh_from_db()
    assert mail_due.status == EmailDelivery.Status.SENT and len(editions(smtp_server)) == 1
    assert not Task.objects.filter(success=False).exists(), "nothing failed"
    assert list(Task.objects.values_list("func", "name")) == [
        ("delivery.tasks.email_batch_task", f"email-{publication_id}")]
    assert not OrmQ.objects.exists()
    assert warnings_of(caplog) == [f"task publishing.tasks.email_batch_task (email-{publication_id}): renamed "
                                   "delivery.tasks.email_batch_task: queued again under that name"]


def test_a_task_of_a_newer_version_is_left_for_a_newer_worker_and_the_sweep_still_sends_the_mail(
        mail_due, smtp_server, caplog):
    """A web process already upgraded queued a task this worker has no function for: it is put back for a
    worker that has it (not failed, not lost), and the delivery's own row is still sent by the sweep."""
    newer = "delivery.tasks.email_batch_task_of_a_newer_version"
    publication_id = mail_due.publication_id
    async_task(newer, publication_id, task_name=f"email-{publication_id}", sync=False)

    assert work_off_queue() == 1

    assert not OrmQ.objects.exists(), "the run was acknowledged: the broker does not hand it out again"
    assert not Task.objects.exists(), "no failure is recorded: the work was handed on"
    put_back = Schedule.objects.get()
    assert (put_back.name, put_back.func, put_back.schedule_type) == (
        f"{PUT_BACK_PREFIX}email-{publication_id}", newer, Schedule.ONCE)
    assert ast.literal_eval(put_back.args) == (publication_id,)
    assert ast.literal_eval(put_back.kwargs) == {"q_options": {"task_name": f"email-{publication_id}"}}
    assert timezone.now() + dt.timedelta(seconds=30) < put_back.next_run < timezone.now() + dt.timedelta(seconds=90)
    assert warnings_of(caplog) == [f"task {newer} (email-{publication_id}): this worker (arxiv-digest "
                                   f"{__version__}) has no such function: left for a "
                                   "newer worker, queued again in 60 s"]
    mail_due.refresh_from_db()
    assert mail_due.status == EmailDelivery.Status.PENDING and editions(smtp_server) == []

    # Put back again before it ran (another old worker took a copy): still one put-back.
    assert task_put_back(func=newer, args=(publication_id,), task_name=f"email-{publication_id}") is False
    assert Schedule.objects.count() == 1

    # The sweep hands due rows to the workers by today's stable names, whatever task carried them.
    assert deliveries_sweep().email_batches_queued == 1
    mail_due.refresh_from_db()
    assert mail_due.status == EmailDelivery.Status.SENT and len(editions(smtp_server)) == 1
