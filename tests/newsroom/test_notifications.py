"""The newsroom is told: editors when a day's drafts are ready for review, chief editors when a day is
flagged, a scheduled publication is overdue or failed, or a day is unpublished at the deadline; by
email (a real SMTP server) and the team's chat webhook (a real HTTP server); each event once however
often the sweep runs; a failed send recorded and tried again; each person may turn them off."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from newsroom.models import Notification, NotificationSend
from newsroom.notifications import notification_preference_set
from publishing.days.services import DRAFT_STEP, day_flag_attention
from publishing.models import ScheduledPublication
from publishing.posts.scheduling import day_schedule_publication
from publishing.posts.sweep import publishing_sweep
from tests.builders import demo_day_drafted, user_in
from tests.local_server import Reply


def with_address(user: User, address: str) -> User:
    user.email = address
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def newsroom(db, editor, chief):
    """Two editors and a chief editor with addresses, one editor who turned the mails off, and a
    person with no role."""
    people = {
        "editor": with_address(editor, "editor@example.org"),
        "second": with_address(user_in("Editor", "second"), "second@example.org"),
        "quiet": with_address(user_in("Editor", "quiet"), "quiet@example.org"),
        "chief": with_address(chief, "chief@example.org"),
        "outsider": with_address(user_in(None, "outsider"), "outsider@example.org"),
    }
    notification_preference_set(user=people["quiet"], by_email=False)
    return people


@pytest.fixture
def chat(settings, local_server):
    local_server.handler = lambda request: Reply(status=200, body=b"ok", headers={"Content-Type": "text/plain"})
    settings.DIGEST_ALERT_WEBHOOK_URL = f"{local_server.url}/team-chat"
    settings.DIGEST_ALERT_WEBHOOK_KIND = "auto"
    return local_server


def mails_to(server) -> dict[str, list[str]]:
    told: dict[str, list[str]] = {}
    for mail in server.received:
        for address in mail.rcpt_tos:
            told.setdefault(address, []).append(mail.message["Subject"].strip())
    return told


def test_editors_hear_once_that_a_days_drafts_are_ready(newsroom, smtp_server, chat,
                                                        django_capture_on_commit_callbacks):
    day = demo_day_drafted(django_capture_on_commit_callbacks)  # drafting → in review, after commit
    told = mails_to(smtp_server)
    assert set(told) == {"editor@example.org", "second@example.org", "chief@example.org"}
    assert list(told.values()) == [["[arXiv 每日论文速递] 2026-01-09 的初稿已就绪，可以审校"]] * 3, told
    mail = smtp_server.to("editor@example.org")[0]
    assert "待审校" in mail.message.get_content()
    assert f"https://digest.example.org/admin/publishing/digestday/{day.pk}/review/" in mail.message.get_content()
    (post,) = chat.requests
    assert json.loads(post.body)["event"] == "notification.day_ready"

    # The sweep finds the same event each time it runs: nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep()
        publishing_sweep()
    assert mails_to(smtp_server) == told and len(chat.requests) == 1
    assert Notification.objects.count() == 1
    assert set(NotificationSend.objects.values_list("status", flat=True)) == {"sent"}


def test_the_sweep_tells_of_a_ready_day_the_signal_missed(newsroom, smtp_server, django_capture_on_commit_callbacks):
    demo_day_drafted(django_capture_on_commit_callbacks)
    Notification.objects.all().delete()  # as if the process died before it told anyone
    smtp_server.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep()
        publishing_sweep()
    assert sorted(mails_to(smtp_server)) == ["chief@example.org", "editor@example.org", "second@example.org"]
    assert len(smtp_server.received) == 3


def test_chief_editors_hear_of_a_flagged_day(newsroom, smtp_server, chat, drafted_day,
                                             django_capture_on_commit_callbacks):
    smtp_server.received.clear()
    chat.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        day_flag_attention(day=drafted_day, step=DRAFT_STEP, reason="1 machine draft(s) failed (2601.05011): timeout")
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["chief@example.org"] and "2026-01-09 需要处理" in mail.message["Subject"]
    assert "timeout" in mail.message.get_content()
    (post,) = chat.requests
    assert json.loads(post.body)["event"] == "notification.day_flagged"
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep()
    assert len(smtp_server.received) == 1 and len(chat.requests) == 1


def test_chief_editors_hear_once_of_an_overdue_schedule(newsroom, smtp_server, published_day,
                                                        django_capture_on_commit_callbacks):
    scheduled = day_schedule_publication(day=published_day, user=newsroom["chief"],
                                         publish_at=timezone.now() + dt.timedelta(minutes=1))
    ScheduledPublication.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - dt.timedelta(minutes=3))
    smtp_server.received.clear()
    # The sweep's own run of the schedule is not due yet (a lease after its time); it tells the chief editor.
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep()
        publishing_sweep()
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["chief@example.org"] and "定时发布已逾期" in mail.message["Subject"]
    assert "没有正在运行的工作进程集群" in mail.message.get_content()


def test_chief_editors_hear_of_a_failed_schedule(newsroom, smtp_server, published_day,
                                                 django_capture_on_commit_callbacks):
    from publishing.posts.scheduling import scheduled_publication_run

    scheduled = day_schedule_publication(day=published_day, user=newsroom["chief"],
                                         publish_at=timezone.now() + dt.timedelta(minutes=1))
    published_day.entries.update(state="in_review")
    assert scheduled_publication_run(scheduled_id=scheduled.pk).status == ScheduledPublication.Status.FAILED
    smtp_server.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep()
        publishing_sweep()
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["chief@example.org"] and "定时发布失败" in mail.message["Subject"]


def test_chief_editors_hear_of_a_day_unpublished_at_the_deadline(newsroom, smtp_server, settings, drafted_day,
                                                                 django_capture_on_commit_callbacks):
    settings.DIGEST_PUBLISH_DEADLINE = dt.time(10, 30)
    smtp_server.received.clear()
    before = dt.datetime(2026, 1, 9, 10, 29, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep(now=before)
    assert smtp_server.received == []
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep(now=before + dt.timedelta(minutes=2))
        publishing_sweep(now=before + dt.timedelta(minutes=7))
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["chief@example.org"]
    assert mail.message["Subject"].strip() == "[arXiv 每日论文速递] 已到发布截止时间 10:30，2026-01-09 仍未发布"


def test_a_failed_send_is_recorded_and_tried_again_later(newsroom, smtp_server, django_capture_on_commit_callbacks):
    smtp_server.refuse_rcpt["second@example.org"] = (451, "try again later")
    demo_day_drafted(django_capture_on_commit_callbacks)
    failed = NotificationSend.objects.get(user=newsroom["second"])
    assert failed.status == "pending" and "451" in failed.last_error and failed.attempts == 1
    assert "second@example.org" not in mails_to(smtp_server)

    del smtp_server.refuse_rcpt["second@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep()  # not due yet: the wait after a failure
    assert "second@example.org" not in mails_to(smtp_server)
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep(now=timezone.now() + dt.timedelta(minutes=6))
    assert mails_to(smtp_server)["second@example.org"] and len(mails_to(smtp_server)["editor@example.org"]) == 1
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 2


def test_each_person_turns_the_mails_off_and_on_in_the_admin(client, newsroom, smtp_server,
                                                             django_capture_on_commit_callbacks):
    client.force_login(newsroom["editor"])
    url = reverse("admin:newsroom_notificationpreference_mine")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="by_email"' in page and "checked" in page and "editor@example.org" in page
    assert 'id="my-notifications"' in client.get(reverse("admin:index")).content.decode()
    client.post(url, {})  # unticked
    assert "checked" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    demo_day_drafted(django_capture_on_commit_callbacks)
    assert "editor@example.org" not in mails_to(smtp_server)
    assert "quiet@example.org" not in mails_to(smtp_server)

    client.post(url, {"by_email": "on"})
    assert "checked" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_chief_editors_see_what_was_sent_and_retry_a_failure(client, newsroom, smtp_server,
                                                             django_capture_on_commit_callbacks):
    smtp_server.refuse_rcpt["second@example.org"] = (550, "no such mailbox")
    demo_day_drafted(django_capture_on_commit_callbacks)
    NotificationSend.objects.filter(user=newsroom["second"]).update(attempts=5, next_try_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        publishing_sweep()
    failed = NotificationSend.objects.get(user=newsroom["second"])
    assert failed.status == "failed" and "550" in failed.last_error

    client.force_login(newsroom["editor"])
    assert client.get(reverse("admin:newsroom_notificationsend_changelist")).status_code == 403
    client.force_login(newsroom["chief"])
    listing = client.get(reverse("admin:newsroom_notificationsend_changelist") + "?status__exact=failed",
                         HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no such mailbox" in listing
    del smtp_server.refuse_rcpt["second@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:newsroom_notificationsend_changelist"),
                    {"action": "retry", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == "sent" and mails_to(smtp_server)["second@example.org"]
