"""A scheduled publication never runs silently late: once its time has passed by a minute it shows as
overdue on the publish page and the front page with the reason (is any worker cluster alive, on the
ORM broker as on Redis), and scheduling warns when no worker would run it."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.signing import SignedPackage
from django_q.status import Stat, Status

from publishing.models import ScheduledPublication
from publishing.posts.scheduling import day_schedule_publication
from translations.workers import workers_seen


def pages(client, day) -> dict[str, str]:
    return {name: client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode() for name, url in (
        ("publish page", reverse("admin:publishing_digestday_publish", args=[day.pk])),
        ("front page", reverse("admin:index")),
        ("day review page", reverse("admin:publishing_digestday_review", args=[day.pk])))}


def scheduled_and_passed(day, chief, *, ago: dt.timedelta) -> ScheduledPublication:
    scheduled = day_schedule_publication(day=day, user=chief, publish_at=timezone.now() + dt.timedelta(minutes=1))
    ScheduledPublication.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - ago)
    return scheduled


def a_cluster_alive_in_the_orm_broker() -> None:
    """What a running `qcluster` on the ORM broker writes every half second: its signed status in Django's
    cache (the database's, shared by every process)."""
    cluster_id = uuid.uuid4()
    get_broker().set_stat(Stat.get_key(cluster_id), SignedPackage.dumps(Status(pid=1, cluster_id=cluster_id)), 3)


def test_a_publication_a_minute_and_a_half_late_shows_as_overdue_with_no_worker(client, published_day, chief):
    """The demo's case: scheduled for 21:14, looked at 21:15:36, no qcluster."""
    scheduled_and_passed(published_day, chief, ago=dt.timedelta(seconds=96))
    client.force_login(chief)
    for name, page in pages(client, published_day).items():
        assert "is overdue and has not run: no worker cluster is running" in page, name
        assert "Start `manage.py qcluster`" in page, name


def test_a_publication_not_yet_due_is_not_overdue(client, published_day, chief):
    scheduled_and_passed(published_day, chief, ago=dt.timedelta(seconds=20))  # the scheduler looks every 30 s
    client.force_login(chief)
    for page in pages(client, published_day).values():
        assert "overdue" not in page


@pytest.mark.django_db
def test_a_cluster_on_the_orm_broker_is_seen_through_the_shared_cache():
    assert workers_seen().alive is False
    a_cluster_alive_in_the_orm_broker()
    seen = workers_seen()
    assert seen.alive is True and "1 worker cluster(s) in the broker" in seen.evidence


def test_an_overdue_publication_with_a_worker_alive_says_so(client, published_day, chief):
    scheduled_and_passed(published_day, chief, ago=dt.timedelta(minutes=3))
    a_cluster_alive_in_the_orm_broker()
    client.force_login(chief)
    for name, page in pages(client, published_day).items():
        assert "is overdue: a worker cluster is running but has not run it yet" in page, name


def test_scheduling_warns_when_no_worker_is_running(client, published_day, chief):
    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[published_day.pk])
    assert "No worker cluster is running" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    publish_at = timezone.localtime(timezone.now() + dt.timedelta(hours=1))
    response = client.post(url, {"publish_at": f"{publish_at:%Y-%m-%dT%H:%M}"}, HTTP_ACCEPT_LANGUAGE="en",
                           follow=True)
    assert ScheduledPublication.objects.filter(day=published_day).count() == 1
    shown = [str(message) for message in response.context["messages"]]
    assert any("No worker cluster is running" in message and "manage.py qcluster" in message for message in shown)

    a_cluster_alive_in_the_orm_broker()
    assert "No worker cluster is running" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_day_review_page_says_when_the_day_is_scheduled(client, published_day, chief):
    """Where the chief editor lands after scheduling: the order is there, with its time in the site's zone."""
    scheduled = day_schedule_publication(day=published_day, user=chief,
                                         publish_at=timezone.now() + dt.timedelta(hours=2))
    client.force_login(chief)
    page = client.get(reverse("admin:publishing_digestday_review", args=[published_day.pk])).content.decode()
    assert f"已安排于 {timezone.localtime(scheduled.publish_at):%Y-%m-%d %H:%M}（本站时间）发布。" in page
