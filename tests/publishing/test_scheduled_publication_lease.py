"""A scheduled publication whose worker dies is finished by django-q2's retry or publishing's sweep,
fails with its reason when it keeps killing its worker, and a failed or overdue one shows on the
day's publish page and the admin's front page."""

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from publishing.models import Publication, ScheduledPublication
from publishing.posts.publication import day_publish
from publishing.posts.scheduling import MAX_CLAIMS, day_schedule_publication, scheduled_publication_run
from publishing.posts.sweep import SWEEP_FUNC, publishing_sweep
from publishing.review.services import entry_approve
from publishing.tasks import scheduled_publication_task
from tests.builders import edit

LEASE = dt.timedelta(seconds=settings.Q_CLUSTER["timeout"])


class WorkerKilled(BaseException):
    """What a worker dying mid-run looks like from inside: nothing after this line runs."""


def a_correction_scheduled(day, editor, chief, capture) -> ScheduledPublication:
    entry = day.entries.select_related("paper").get(position=1)
    edit(entry, editor, capture, title_zh="定时发布的更正标题")
    entry_approve(entry=entry, user=editor)
    return day_schedule_publication(day=day, user=chief, publish_at=timezone.now() + dt.timedelta(minutes=1))


def killed_while_publishing(scheduled, *, at):
    """The scheduled run starts at `at` and its worker dies while publishing."""
    with mock.patch("publishing.posts.scheduling.day_publish", side_effect=WorkerKilled), pytest.raises(WorkerKilled):
        scheduled_publication_run(scheduled_id=scheduled.pk, now=at)
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledPublication.Status.RUNNING


def test_djangoq_retry_finishes_a_publication_whose_worker_died(published_day, editor, chief,
                                                                 django_capture_on_commit_callbacks):
    scheduled = a_correction_scheduled(published_day, editor, chief, django_capture_on_commit_callbacks)
    killed_while_publishing(scheduled, at=timezone.now() - LEASE - dt.timedelta(minutes=2))
    # django-q2 hands the task out again after Q_RETRY (longer than Q_TIMEOUT, the lease): it publishes.
    with django_capture_on_commit_callbacks(execute=True):
        answer = scheduled_publication_task(str(scheduled.pk))
    assert answer == "done: version 2"
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.attempts, scheduled.claimed_until) == ("done", 2, None)
    published_day.refresh_from_db()
    assert published_day.live_publication.version == 2


def test_a_run_still_within_its_lease_is_not_taken_over(published_day, editor, chief,
                                                        django_capture_on_commit_callbacks):
    scheduled = a_correction_scheduled(published_day, editor, chief, django_capture_on_commit_callbacks)
    killed_while_publishing(scheduled, at=timezone.now())
    assert scheduled_publication_run(scheduled_id=scheduled.pk) is None  # its worker may still be at it
    assert publishing_sweep().scheduled.handed_again == 0
    assert Publication.objects.count() == 1


def test_the_publishing_sweep_finishes_a_publication_whose_worker_died(published_day, editor, chief,
                                                                        django_capture_on_commit_callbacks):
    scheduled = a_correction_scheduled(published_day, editor, chief, django_capture_on_commit_callbacks)
    killed_while_publishing(scheduled, at=timezone.now() - LEASE - dt.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        sweep = publishing_sweep()  # the task runs in this process in the tests (Q_CLUSTER sync)
    assert sweep.scheduled.handed_again == 1
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledPublication.Status.DONE and scheduled.outcome == "version 2"


def test_a_publication_died_after_publishing_only_records_the_outcome(published_day, editor, chief,
                                                                      django_capture_on_commit_callbacks):
    scheduled = a_correction_scheduled(published_day, editor, chief, django_capture_on_commit_callbacks)
    real_publish = scheduled_publication_run.__globals__["day_publish"]

    def publish_then_die(**kwargs):
        real_publish(**kwargs)
        raise WorkerKilled

    with mock.patch("publishing.posts.scheduling.day_publish", side_effect=publish_then_die), \
            pytest.raises(WorkerKilled):
        scheduled_publication_run(scheduled_id=scheduled.pk, now=timezone.now() - 2 * LEASE)
    scheduled_publication_task(str(scheduled.pk))
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.outcome) == ("done", "version 2 (unchanged)")
    assert Publication.objects.count() == 2


def test_a_publication_that_keeps_killing_its_worker_fails_and_the_chief_editor_sees_why(
        client, published_day, editor, chief, django_capture_on_commit_callbacks):
    scheduled = a_correction_scheduled(published_day, editor, chief, django_capture_on_commit_callbacks)
    start = timezone.now() - 10 * LEASE
    for attempt in range(MAX_CLAIMS):
        killed_while_publishing(scheduled, at=start + attempt * 2 * LEASE)
    client.force_login(chief)
    front = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"stopped with its worker (attempt {MAX_CLAIMS} of {MAX_CLAIMS})" in front
    assert scheduled_publication_task(str(scheduled.pk)).startswith("failed: its worker stopped 3 times")
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledPublication.Status.FAILED and Publication.objects.count() == 1

    publish_page = client.get(reverse("admin:publishing_digestday_publish", args=[published_day.pk]),
                              HTTP_ACCEPT_LANGUAGE="en").content.decode()
    front = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for page in (publish_page, front):
        assert "failed: its worker stopped 3 times without finishing" in page
    assert 'id="front-day-2026-01-09"' in front  # a published day, shown for its failed publication

    # Published by hand since: the failure no longer needs anyone.
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=published_day, user=chief)
    front = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "stopped 3 times" not in front and Publication.objects.count() == 2


def test_a_failed_publication_is_shown_with_its_reason(client, published_day, chief):
    scheduled = day_schedule_publication(day=published_day, user=chief,
                                         publish_at=timezone.now() + dt.timedelta(minutes=1))
    published_day.entries.update(state="in_review")
    assert scheduled_publication_run(scheduled_id=scheduled.pk).status == ScheduledPublication.Status.FAILED
    client.force_login(chief)
    page = client.get(reverse("admin:publishing_digestday_publish", args=[published_day.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="errornote scheduled-problem"' in page and "failed: " in page and "not reviewed" in page


def test_an_overdue_publication_is_shown_then_run_by_the_sweep(client, published_day, editor, chief,
                                                                django_capture_on_commit_callbacks):
    scheduled = a_correction_scheduled(published_day, editor, chief, django_capture_on_commit_callbacks)
    # Its Schedule's task was lost (a broker emptied, a cluster stopped before it took it).
    Schedule.objects.filter(name=scheduled.schedule_name).delete()
    ScheduledPublication.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - 2 * LEASE)
    client.force_login(chief)
    front = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "is overdue and has not run: no worker cluster is running" in front
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing_sweep().scheduled.overdue == 1
    scheduled.refresh_from_db()
    assert scheduled.status == ScheduledPublication.Status.DONE
    front = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "has not run" not in front


@pytest.mark.django_db
def test_install_schedule_installs_the_publishing_sweep():
    call_command("install_schedule", stdout=mock.Mock())
    sweep = Schedule.objects.get(func=SWEEP_FUNC)
    assert (sweep.schedule_type, sweep.minutes, sweep.repeats) == (Schedule.MINUTES, 5, -1)
