"""The email edition: each newly published day mailed once per subscriber through a real SMTP server
(aiosmtpd on 127.0.0.1), with both parts and the one-click unsubscribe headers; refusals recorded and
retried; a sending worker killed mid-batch leaves nobody skipped and nobody mailed twice."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule

from delivery.edition import NO_PAPER_IN_CATEGORIES, email_editions_come_due
from delivery.models import EmailDelivery, Subscriber
from delivery.retries import lease
from delivery.sending import email_deliveries_send_all
from delivery.subscribers import subscriber_confirm, subscriber_subscribe
from publishing.models import DigestDay, Publication
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from tests.builders import approve_all, edit, home_digest_set
from tests.publishing.test_cluster import database_url

REPO_ROOT = Path(__file__).resolve().parents[2]


def confirmed(email, *, categories=(), corrections=False) -> Subscriber:
    subscribed = subscriber_subscribe(email=email, categories=categories, wants_corrections=corrections)
    return subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])


def publish(day, chief, capture):
    with capture(execute=True):
        return day_publish(day=day, user=chief)


def editions(server):
    """The day's mails the server accepted (not the confirmation mails)."""
    return [mail for mail in server.received if "请确认订阅" not in mail.message["Subject"]]


def test_a_published_day_is_mailed_once_with_both_parts_and_one_click_unsubscribe(
        drafted_day, editor, chief, smtp_server, django_capture_on_commit_callbacks):
    ana = confirmed("ana@example.org")
    confirmed("bo@example.org")
    subscriber_subscribe(email="never-confirmed@example.org")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)

    drafted_day.refresh_from_db()
    mails = editions(smtp_server)
    assert sorted(mail.to for mail in mails) == ["ana@example.org", "bo@example.org"]
    mail = smtp_server.to("ana@example.org")[-1]
    unsubscribe = f"https://digest.example.org/unsubscribe/{ana.unsubscribe_token}/"
    assert mail.message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.message["Subject"].endswith("2026-01-09")
    assert mail.message["Message-ID"].startswith(f"<edition-{drafted_day.live_publication_id}-{ana.pk}@")
    text, html = mail.part("text/plain"), mail.part("text/html")
    assert "共 6 篇" in text and unsubscribe in text and "https://digest.example.org/papers/" in text
    assert f'href="{unsubscribe}"' in html and html.count("<h2") == 6
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"sent"}

    # Publishing again unchanged, the task again, the command: nothing is sent twice.
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    assert email_deliveries_send_all().claimed == 0
    assert len(editions(smtp_server)) == 2 and EmailDelivery.objects.count() == 2


def test_outside_text_is_escaped_in_the_html_part(drafted_day, editor, chief, smtp_server,
                                                  django_capture_on_commit_callbacks):
    confirmed("ana@example.org")
    entry = drafted_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh='<img src=x onerror="alert(1)">标题',
         abstract_zh="摘要 <script>alert(2)</script> [点我](javascript:alert(3))")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    html = editions(smtp_server)[0].part("text/html")
    assert "<img" not in html and "<script" not in html and 'href="javascript' not in html
    assert "&lt;img src=x" in html


def test_categories_choose_the_papers_and_a_day_without_them_is_recorded_as_skipped(
        drafted_day, editor, chief, smtp_server, django_capture_on_commit_callbacks):
    home_digest_set(categories=["cs.SD", "eess.AS", "cs.CV"])
    confirmed("sound@example.org", categories=["cs.SD"])
    vision = confirmed("vision@example.org", categories=["cs.CV"])
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    assert [mail.to for mail in editions(smtp_server)] == ["sound@example.org"]
    skipped = EmailDelivery.objects.get(subscriber=vision)
    assert (skipped.status, skipped.error) == ("skipped", NO_PAPER_IN_CATEGORIES)
    assert "cs.SD" in editions(smtp_server)[0].part("text/plain")


def test_a_correction_goes_only_to_those_who_asked(published_day, editor, chief, smtp_server,
                                                    django_capture_on_commit_callbacks):
    confirmed("all-versions@example.org", corrections=True)
    confirmed("first-only@example.org")
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh="更正后的标题")
    entry_approve(entry=entry, user=editor)
    publish(published_day, chief, django_capture_on_commit_callbacks)
    (mail,) = editions(smtp_server)
    assert mail.to == "all-versions@example.org" and "第 2 版" in mail.message["Subject"]
    assert "更正后的标题" in mail.part("text/plain")


def test_refusals_are_recorded_permanent_ones_fail_and_temporary_ones_wait(
        drafted_day, editor, chief, smtp_server, client, django_capture_on_commit_callbacks):
    for address in ("gone@example.org", "busy@example.org", "ok@example.org"):
        confirmed(address)
    smtp_server.refuse_rcpt["gone@example.org"] = (550, "5.1.1 No such user")
    smtp_server.refuse_data["busy@example.org"] = (451, "4.3.0 Try again later")
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)

    assert [mail.to for mail in editions(smtp_server)] == ["ok@example.org"]
    gone = EmailDelivery.objects.get(subscriber__email="gone@example.org")
    assert (gone.status, gone.smtp_code) == ("failed", 550) and "No such user" in gone.error
    assert Subscriber.objects.get(email="gone@example.org").status == "bouncing"
    busy = EmailDelivery.objects.get(subscriber__email="busy@example.org")
    assert (busy.status, busy.smtp_code, busy.attempts) == ("pending", 451, 1) and busy.next_try_at > timezone.now()
    assert Schedule.objects.filter(func="delivery.tasks.email_batch_task").exists()

    # Its time comes: accepted now.
    del smtp_server.refuse_data["busy@example.org"]
    email_deliveries_send_all(now=busy.next_try_at + dt.timedelta(seconds=1))
    assert EmailDelivery.objects.get(pk=busy.pk).status == "sent"

    # The chief editor retries the failed one from the admin once the address works again.
    del smtp_server.refuse_rcpt["gone@example.org"]
    client.force_login(chief)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:delivery_emaildelivery_changelist"),
                    {"action": "retry", "_selected_action": [gone.pk]})
    assert EmailDelivery.objects.get(pk=gone.pk).status == "sent"
    assert Subscriber.objects.get(email="gone@example.org").status == "confirmed"
    assert sorted(mail.to for mail in editions(smtp_server)) == ["busy@example.org", "gone@example.org",
                                                                 "ok@example.org"]
    page = client.get(reverse("admin:delivery_emaildelivery_changelist") + "?status__exact=sent",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "gone@example.org" in page


def test_only_chief_editors_see_subscribers_and_retry_mails(client, editor, chief):
    client.force_login(editor)
    assert client.get(reverse("admin:delivery_subscriber_changelist")).status_code == 403
    assert client.get(reverse("admin:delivery_emaildelivery_changelist")).status_code == 403
    client.force_login(chief)
    assert client.get(reverse("admin:delivery_subscriber_changelist")).status_code == 200


def test_an_unsubscribed_reader_gets_nothing_more(drafted_day, editor, chief, smtp_server, client,
                                                  django_capture_on_commit_callbacks):
    ana = confirmed("ana@example.org")
    client.post(reverse("public:unsubscribe", args=[ana.unsubscribe_token]))
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    assert editions(smtp_server) == [] and not EmailDelivery.objects.exists()


@pytest.mark.timeout_sensitive
def test_a_worker_killed_mid_batch_skips_nobody_and_mails_nobody_twice(
        delivery_switched_on, smtp_server, monkeypatch, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import User

    from tests.builders import demo_day_drafted

    # A superuser: a transactional test may run after another emptied the tables, the role groups included.
    editor = chief = User.objects.create_superuser("chief", "chief@example.org", "pw")
    day = demo_day_drafted(django_capture_on_commit_callbacks)
    addresses = [f"reader{number}@example.org" for number in range(8)]
    for address in addresses:
        confirmed(address)
    smtp_server.received.clear()
    monkeypatch.setattr(Conf, "SYNC", False)  # the sending task waits in the queue: the worker below sends
    approve_all(day, editor)
    publish(day, chief, django_capture_on_commit_callbacks)
    assert EmailDelivery.objects.filter(status="pending").count() == 8

    smtp_server.hold_after = 3  # the fourth message waits at DATA, unaccepted
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "EMAIL_BACKEND": "smtp", "EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port),
           "DIGEST_SITE_URL": "https://digest.example.org"}
    worker = subprocess.Popen([sys.executable, str(REPO_ROOT / "manage.py"), "send_email_editions"], env=env,
                              cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert smtp_server.holding.wait(60), "the worker never reached the fourth message"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    output = worker.stdout.read().decode(errors="replace")
    smtp_server.release()
    time.sleep(0.2)
    statuses = sorted(EmailDelivery.objects.values_list("status", flat=True))
    assert statuses == ["sending"] * 5 + ["sent"] * 3, output

    # Another worker at once finds the rows still leased to the dead one and leaves them alone ...
    assert email_deliveries_send_all().claimed == 0
    # ... and once the lease has run out, claims and sends them.
    email_deliveries_send_all(now=timezone.now() + lease() + dt.timedelta(seconds=1))
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(mail.to for mail in smtp_server.received) == sorted(addresses)


def test_each_mail_is_built_once_per_choice_as_short_8bit_lines(drafted_day, editor, chief, smtp_server,
                                                                 django_capture_on_commit_callbacks):
    """Long Chinese lines would make a part quoted-printable (three times the size, slow to build) and
    hide the marks where each subscriber's bits go; every line stays short and every part 8bit."""
    from delivery.edition import BuiltMessage, edition_for

    ana, bo = confirmed("ana@example.org"), confirmed("bo@example.org")
    entry = drafted_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, abstract_zh="很长的摘要，" * 400,
         title_zh="很长的标题" * 100)
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    drafted_day.refresh_from_db()
    edition = edition_for(drafted_day.live_publication_id)
    message = edition.message_for(email=ana.email, subscriber_id=ana.pk, categories_text="",
                                  unsubscribe_token=ana.unsubscribe_token)
    assert isinstance(message, BuiltMessage)
    for mail in editions(smtp_server):
        raw = mail.message.as_bytes()
        assert max(len(line) for line in raw.splitlines()) <= 998
        assert {part["Content-Transfer-Encoding"] for part in mail.message.walk()
                if not part.is_multipart()} == {"8bit"}
        assert ("很长的摘要，" * 400) in mail.part("text/html").replace("<!--\r\n-->", "")
    (to_bo,) = [mail for mail in editions(smtp_server) if mail.to == "bo@example.org"]
    assert bo.unsubscribe_token in to_bo.part("text/html") and ana.unsubscribe_token not in to_bo.part("text/html")


def test_a_large_edition_is_sent_by_as_many_chains_of_batches_as_workers(
        drafted_day, editor, chief, smtp_server, settings, monkeypatch, django_capture_on_commit_callbacks):
    from django_q.models import OrmQ

    for number in range(7):
        confirmed(f"reader{number}@example.org")
    settings.DIGEST_EMAIL_BATCH_SIZE = 2
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 3}
    monkeypatch.setattr(Conf, "SYNC", False)
    approve_all(drafted_day, editor)
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    assert OrmQ.objects.count() == 3, "three workers, four batches: three chains"

    first = email_deliveries_send_all(publication_id=drafted_day.publications.get().pk)
    assert (first.claimed, first.sent) == (7, 7) and len(editions(smtp_server)) == 7


def test_a_day_published_ahead_of_its_date_is_mailed_when_its_date_comes(published_day, editor, chief, smtp_server,
                                                                        django_capture_on_commit_callbacks):
    from publishing.days.windows import current_digest_date
    from tests.builders import another_day_approved

    confirmed("ana@example.org")
    future = another_day_approved(current_digest_date() + dt.timedelta(days=2), published_day, editor)
    publish(future, chief, django_capture_on_commit_callbacks)
    future.refresh_from_db()
    assert future.live_publication_id is not None
    assert editions(smtp_server) == [] and not EmailDelivery.objects.filter(publication__day=future).exists()

    # Its date comes (as if published two days ahead): delivery's sweep mails it, once, and nothing
    # else (published_day was published on its date; its subscriber came later).
    DigestDay.objects.filter(pk=future.pk).update(date=current_digest_date())
    Publication.objects.filter(pk=future.live_publication_id).update(
        published_at=timezone.now() - dt.timedelta(days=2))
    assert email_editions_come_due() == 1
    assert email_editions_come_due() == 0
    assert not EmailDelivery.objects.filter(publication__day=published_day).exists()
    email_deliveries_send_all(publication_id=future.live_publication_id)
    assert [mail.rcpt_tos for mail in editions(smtp_server)] == [["ana@example.org"]]
