"""Delivery sweeps its own due rows on its own schedule; the morning job no longer reaches it."""

import datetime as dt

import pytest
from django.utils import timezone

from delivery.models import EmailDelivery, WebhookDelivery, WebhookEndpoint
from delivery.schedule import deliveries_sweep
from delivery.subscribers import subscriber_confirm, subscriber_subscribe
from publishing.days.pipeline import run_daily
from publishing.days.windows import current_digest_date
from publishing.models import DigestDay, Publication
from publishing.posts.publication import day_publish
from tests.builders import another_day_approved
from tests.local_server import Reply


@pytest.fixture
def receiver(local_server):
    local_server.handler = lambda request: Reply(status=200, body=b"ok", headers={"Content-Type": "text/plain"})
    return local_server


def confirmed(email):
    subscribed = subscriber_subscribe(email=email)
    return subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])


def editions(server):
    return [mail for mail in server.received if "请确认订阅" not in mail.message["Subject"]]


def published_ahead_whose_date_came(published_day, editor, chief, capture):
    future = another_day_approved(current_digest_date() + dt.timedelta(days=2), published_day, editor)
    with capture(execute=True):
        day_publish(day=future, user=chief)
    future.refresh_from_db()
    DigestDay.objects.filter(pk=future.pk).update(date=current_digest_date())
    Publication.objects.filter(pk=future.live_publication_id).update(published_at=timezone.now() - dt.timedelta(days=2))
    return future


def test_the_sweep_mails_and_announces_a_day_whose_date_came_once(
        published_day, editor, chief, smtp_server, receiver, django_capture_on_commit_callbacks):
    confirmed("ana@example.org")
    WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook")
    future = published_ahead_whose_date_came(published_day, editor, chief, django_capture_on_commit_callbacks)
    assert not EmailDelivery.objects.exists() and not WebhookDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        first = deliveries_sweep()
    assert (first.editions_come_due, first.announcements_come_due) == (1, 1)
    # The tasks run in-process in the tests (django-q2's sync mode): the mail went and the hook was called.
    assert [mail.rcpt_tos for mail in editions(smtp_server)] == [["ana@example.org"]]
    assert WebhookDelivery.objects.get(publication__day=future).status == WebhookDelivery.Status.DELIVERED

    with django_capture_on_commit_callbacks(execute=True):
        again = deliveries_sweep()
    assert (again.editions_come_due, again.announcements_come_due, again.email_batches_queued,
            again.webhooks_queued) == (0, 0, 0, 0)
    assert len(editions(smtp_server)) == 1


def test_the_sweep_hands_a_due_delivery_no_task_carries_to_the_workers(
        published_day, smtp_server, receiver):
    """A delivery whose task was lost (its worker died before taking it) is sent by the next sweep."""
    subscriber = confirmed("ana@example.org")
    publication = published_day.live_publication
    stranded = EmailDelivery.objects.create(subscriber=subscriber, publication=publication)
    endpoint = WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook")
    hook = WebhookDelivery.objects.create(endpoint=endpoint, publication=publication)
    waiting = EmailDelivery.objects.create(subscriber=confirmed("bo@example.org"), publication=publication,
                                           next_try_at=timezone.now() + dt.timedelta(hours=1))

    sweep = deliveries_sweep()

    assert (sweep.email_batches_queued, sweep.webhooks_queued) == (1, 1)
    stranded.refresh_from_db(), hook.refresh_from_db(), waiting.refresh_from_db()
    assert (stranded.status, hook.status) == (EmailDelivery.Status.SENT, WebhookDelivery.Status.DELIVERED)
    assert waiting.status == EmailDelivery.Status.PENDING  # not due yet: left to its time
    assert [mail.rcpt_tos for mail in editions(smtp_server)] == [["ana@example.org"]]


def test_the_morning_job_leaves_delivery_alone(published_day, editor, chief, smtp_server,
                                               django_capture_on_commit_callbacks, settings, tmp_path):
    confirmed("ana@example.org")
    published_ahead_whose_date_came(published_day, editor, chief, django_capture_on_commit_callbacks)
    feed = tmp_path / "empty.xml"
    feed.write_text('<feed xmlns="http://www.w3.org/2005/Atom"></feed>', encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(date=current_digest_date() + dt.timedelta(days=1), source="file", files=[str(feed)])
    assert not EmailDelivery.objects.exists() and editions(smtp_server) == []
