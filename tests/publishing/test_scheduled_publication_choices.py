"""A scheduled publication publishes with every choice the chief editor made on the publish page:
the correction note reaches the published version, the public version history and the correction mail."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from delivery.subscribers import subscriber_confirm, subscriber_subscribe
from public.page_cache import public_cache_clear
from publishing.models import ScheduledPublication
from publishing.review.services import entry_approve
from publishing.tasks import scheduled_publication_task
from tests.builders import approve_all, edit

NOTE = "更正了第一篇的中文标题（定时发布）。"


def test_a_scheduled_correction_publishes_with_its_note(client, published_day, editor, chief, smtp_server,
                                                         django_capture_on_commit_callbacks):
    subscribed = subscriber_subscribe(email="all-versions@example.org", wants_corrections=True)
    subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh="定时更正后的中文标题")
    entry_approve(entry=entry, user=editor)

    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[published_day.pk])
    page = client.get(url).content.decode()
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', page).group(1)
    publish_at = timezone.localtime(timezone.now() + dt.timedelta(minutes=5))
    response = client.post(url, {"content_hash": content_hash, "correction_note": NOTE,
                                 "publish_at": f"{publish_at:%Y-%m-%dT%H:%M}"})
    assert response.status_code == 302
    scheduled = ScheduledPublication.objects.get()
    assert scheduled.correction_note == NOTE
    assert NOTE in client.get(url).content.decode()  # the publish page lists it with its note

    # What a worker does when the Schedule fires.
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduled_publication_task(str(scheduled.pk)) == "done: version 2"
    published_day.refresh_from_db()
    assert published_day.live_publication.version == 2
    assert published_day.live_publication.correction_note == NOTE

    client.logout()
    public_cache_clear()
    history = client.get("/days/2026-01-09/versions/").content.decode()
    assert NOTE in history
    (mail,) = [mail for mail in smtp_server.received if "第 2 版" in mail.message["Subject"]]
    assert mail.to == "all-versions@example.org"
    assert NOTE in mail.part("text/plain") and NOTE in mail.part("text/html")


def test_the_approved_only_choice_survives_the_publish_pages_form(client, drafted_day, editor, chief):
    """The review page's "publish the approved entries only" link opens the page; its form carries the
    choice back in a hidden field, to a publish now or a scheduled one."""
    approve_all(drafted_day, editor, except_positions=(6,))
    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[drafted_day.pk])
    page = client.get(url + "?approved_only=1").content.decode()
    hidden = re.search(r'<input type="hidden" name="approved_only" value="([^"]*)"', page).group(1)
    publish_at = timezone.localtime(timezone.now() + dt.timedelta(minutes=5))
    client.post(url, {"approved_only": hidden, "publish_at": f"{publish_at:%Y-%m-%dT%H:%M}"})
    assert ScheduledPublication.objects.get().approved_only is True

    content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', page).group(1)
    response = client.post(url, {"approved_only": hidden, "content_hash": content_hash})
    assert response.status_code == 302
    drafted_day.refresh_from_db()
    assert drafted_day.live_publication.paper_count == 5
