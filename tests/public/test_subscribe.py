"""Subscribing on the site: the same answer whatever the address, a confirmation mail through a real SMTP
server, its signed expiring link, one-click unsubscribe (RFC 8058, no CSRF token), rate limits."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client, TestCase
from django.urls import reverse

from delivery.models import Subscriber
from delivery.subscribers import CONFIRMATION_SALT, CONFIRMATION_TASK
from public.subscriptions import MAILS_PER_ADDRESS, REQUESTS_PER_CLIENT
from publishing.posts.publication import day_publish
from tests.builders import approve_all

REPO_ROOT = Path(__file__).resolve().parents[2]
LINK_RE = re.compile(r"https://digest\.example\.org(/subscribe/confirm/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader():
    """A browser that, like a real one, must send the CSRF token with its forms."""
    return Client(enforce_csrf_checks=True)


def submit(reader, *, mail_by_worker: bool = True, **fields):
    """Post the form as a reader does; the request's transaction commits, and the confirmation mail's task
    (queued on commit) runs, in this process (django-q2's sync mode), unless `mail_by_worker` is False."""
    page = reader.get(reverse("public:subscribe"))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    with TestCase.captureOnCommitCallbacks(execute=mail_by_worker):
        return reader.post(reverse("public:subscribe"), {"csrfmiddlewaretoken": token, **fields})


def post_form(reader, path):
    page = reader.get(path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    return reader.post(path, {"csrfmiddlewaretoken": token})


def confirmation_path(server, address):
    mail = server.to(address)[-1]
    return LINK_RE.search(mail.message.get_content()).group(1)


@pytest.mark.django_db
def test_subscribe_confirm_receive_and_unsubscribe_in_one_click(reader, smtp_server, drafted_day, editor, chief,
                                                                 django_capture_on_commit_callbacks):
    page = reader.get(reverse("public:archive"))
    assert reverse("public:subscribe").encode() in page.content  # linked from every page
    form = reader.get(reverse("public:subscribe"))
    assert form["Content-Security-Policy"].startswith("default-src 'none'") and "no-cache" in form["Cache-Control"]

    answer = submit(reader, email="Ana@Example.org", categories=["cs.SD"], wants_corrections="on")
    assert answer.status_code == 200 and "请查收确认邮件".encode() in answer.content
    subscriber = Subscriber.objects.get(email="ana@example.org")
    assert subscriber.status == "pending"

    path = confirmation_path(smtp_server, "ana@example.org")
    confirm_page = reader.get(path)
    assert "确认订阅".encode() in confirm_page.content and b"cs.SD" in confirm_page.content
    assert Subscriber.objects.get(pk=subscriber.pk).status == "pending", "looking at the link confirms nothing"
    assert post_form(reader, path).status_code == 200
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.categories, subscriber.wants_corrections) == ("confirmed", ["cs.SD"], True)

    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    mail = [m for m in smtp_server.to("ana@example.org") if "2026-01-09" in m.message["Subject"]][0]
    unsubscribe = mail.message["List-Unsubscribe"].strip()[1:-1].removeprefix("https://digest.example.org")

    assert "退订".encode() in reader.get(unsubscribe).content
    assert Subscriber.objects.get(pk=subscriber.pk).status == "confirmed", "looking at the link unsubscribes nobody"
    # What a mail client does for List-Unsubscribe-Post: a bare POST, no cookie, no CSRF token.
    one_click = Client(enforce_csrf_checks=True).post(unsubscribe, "List-Unsubscribe=One-Click",
                                                      content_type="application/x-www-form-urlencoded")
    assert one_click.status_code == 200
    assert Subscriber.objects.get(pk=subscriber.pk).status == "unsubscribed"


@pytest.mark.django_db
def test_the_answer_does_not_reveal_whether_an_address_is_subscribed(reader, smtp_server):
    Subscriber.objects.create(email="known@example.org", status="confirmed", unsubscribe_token="t1")
    known = submit(reader, email="known@example.org")
    unknown = submit(reader, email="stranger@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.content.replace(b"known", b"X") == unknown.content.replace(b"stranger", b"X")
    # The known reader's preferences change only through the link mailed to them.
    assert Subscriber.objects.get(email="known@example.org").status == "confirmed"
    assert len(smtp_server.to("known@example.org")) == 1


@pytest.mark.django_db
def test_forged_and_expired_links_are_refused_clearly(reader, smtp_server):
    submit(reader, email="ana@example.org")
    path = confirmation_path(smtp_server, "ana@example.org")
    forged = path.replace(path.split("/")[-2], path.split("/")[-2][:-3] + "AAA")
    answer = reader.get(forged)
    assert answer.status_code == 400 and "无效".encode() in answer.content
    assert reader.post(forged).status_code in (400, 403)

    subscriber = Subscriber.objects.get(email="ana@example.org")
    old = signing.TimestampSigner(salt=CONFIRMATION_SALT)
    old.timestamp = lambda: "1"  # signed long ago (1970)
    expired_token = old.sign(signing.b64_encode(signing.JSONSerializer().dumps(
        {"s": subscriber.pk, "e": "ana@example.org", "c": "", "r": False})).decode())
    answer = reader.get(reverse("public:subscribe_confirm", args=[expired_token]))
    assert answer.status_code == 400 and "已过期".encode() in answer.content
    assert Subscriber.objects.get(pk=subscriber.pk).status == "pending"
    assert reader.get(reverse("public:unsubscribe", args=["no-such-token"])).status_code == 404


@pytest.mark.django_db
def test_requests_and_mails_are_rate_limited(reader, smtp_server):
    for _ in range(MAILS_PER_ADDRESS[0] + 2):
        assert submit(reader, email="target@example.org").status_code == 200
    assert len(smtp_server.to("target@example.org")) == MAILS_PER_ADDRESS[0], "no flood of confirmation mails"
    made = MAILS_PER_ADDRESS[0] + 2
    answers = [submit(reader, email=f"r{number}@example.org") for number in range(REQUESTS_PER_CLIENT[0] - made + 1)]
    assert [answer.status_code for answer in answers[:-1]] == [200] * (REQUESTS_PER_CLIENT[0] - made)
    assert answers[-1].status_code == 429 and "请求过于频繁".encode() in answers[-1].content
    assert smtp_server.to(f"r{len(answers) - 1}@example.org") == []
    assert Client().post(reverse("public:subscribe"), {"email": "x@example.org"}, REMOTE_ADDR="10.0.0.2").status_code \
        == 200, "another client is not limited"


@pytest.mark.django_db
def test_a_bad_address_or_category_is_refused_and_the_form_kept(reader, smtp_server):
    answer = submit(reader, email="not an address", categories=["cs.SD"])
    assert answer.status_code == 400 and "请填写有效的邮箱地址".encode() in answer.content
    assert submit(reader, email="ok@example.org", categories=["hep-th"]).status_code == 400
    assert not Subscriber.objects.exists() and smtp_server.received == []


@pytest.mark.django_db
def test_a_confirmation_link_works_once_and_never_undoes_a_later_choice(reader, smtp_server):
    """Found by an attacker's pass: a used link, replayed, re-subscribed an address that had unsubscribed,
    and an older link brought back older choices."""
    from delivery.subscribers import subscriber_unsubscribe

    submit(reader, email="ana@example.org", categories=["cs.SD"])
    older = confirmation_path(smtp_server, "ana@example.org")
    submit(reader, email="ana@example.org", wants_corrections="on")
    newer = confirmation_path(smtp_server, "ana@example.org")
    assert post_form(reader, newer).status_code == 200
    subscriber = Subscriber.objects.get(email="ana@example.org")
    assert (subscriber.status, subscriber.categories, subscriber.wants_corrections) == ("confirmed", [], True)

    for replayed in (older, newer):
        answer = post_form(reader, replayed)
        assert answer.status_code == 400 and "已使用过".encode() in answer.content
    subscriber.refresh_from_db()
    assert (subscriber.categories, subscriber.wants_corrections) == ([], True)

    subscriber_unsubscribe(subscriber=subscriber)
    assert post_form(reader, newer).status_code == 400
    assert Subscriber.objects.get(pk=subscriber.pk).status == "unsubscribed"
    # Subscribing again is a new link, which works.
    submit(reader, email="ana@example.org")
    assert post_form(reader, confirmation_path(smtp_server, "ana@example.org")).status_code == 200
    assert Subscriber.objects.get(pk=subscriber.pk).status == "confirmed"


@pytest.mark.django_db
def test_one_mailbox_is_one_subscriber_and_one_limit_however_it_is_spelt(reader, smtp_server):
    for email in ["u@bücher.example", "u@xn--bcher-kva.example", "U@BÜCHER.example", "u+news@bücher.example"]:
        assert submit(reader, email=email).status_code == 200
    # Three spellings of one address are one subscriber; the fourth request (a +tag of the same inbox)
    # is past the mailbox's limit, so it makes no subscriber and sends nothing.
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["u@xn--bcher-kva.example"]
    sent = [mail for mail in smtp_server.received if "请确认订阅" in mail.message["Subject"]]
    assert len(sent) == MAILS_PER_ADDRESS[0]


@pytest.mark.django_db
def test_an_ipv6_client_is_limited_by_its_slash_64(smtp_server):
    answers = [Client().post(reverse("public:subscribe"), {"email": f"r{number}@example.org"},
                             REMOTE_ADDR=f"2001:db8:1:2::{number:x}") for number in range(REQUESTS_PER_CLIENT[0] + 1)]
    assert [answer.status_code for answer in answers] == [200] * REQUESTS_PER_CLIENT[0] + [429]
    assert Client().post(reverse("public:subscribe"), {"email": "x@example.org"},
                         REMOTE_ADDR="2001:db8:1:3::1").status_code == 200, "another /64 is another client"


@pytest.mark.django_db
def test_the_confirmation_mail_is_a_workers_task_with_a_message_id_of_the_sites_domain(reader, smtp_server,
                                                                                   monkeypatch):
    """The request only queues the mail (nothing waits for the mail server); a worker sends it, its
    Message-ID under DIGEST_SITE_URL's host, not the machine's name (`@localhost`)."""
    from django_q.conf import Conf
    from django_q.models import OrmQ

    from tests.django_q_worker import work_off_queue

    with monkeypatch.context() as queued_for_real:
        queued_for_real.setattr(Conf, "SYNC", False)  # to the broker, as in production
        answer = submit(reader, email="ana@example.org", categories=["cs.SD"])
    assert answer.status_code == 200 and smtp_server.received == [], "the request sent no mail"
    task = OrmQ.objects.get().task
    assert (task["func"], task["name"]) == (CONFIRMATION_TASK, f"confirm-{Subscriber.objects.get().pk}")
    assert "ana@example.org" not in repr(task["args"]), "no address in the task's records"

    assert work_off_queue() == 1
    mail = smtp_server.to("ana@example.org")[-1]
    message_id = mail.message["Message-ID"].strip()
    assert message_id.startswith("<") and message_id.endswith(".confirm@digest.example.org>"), message_id
    assert post_form(reader, confirmation_path(smtp_server, "ana@example.org")).status_code == 200
    assert Subscriber.objects.get().categories == ["cs.SD"]


@pytest.mark.django_db
def test_a_subscription_whose_mail_cannot_be_queued_still_gets_the_same_answer(reader, smtp_server, monkeypatch,
                                                                              caplog):
    def broker_down(*args, **kwargs):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr("delivery.subscribers.async_task", broker_down)
    answer = submit(reader, email="ana@example.org")
    assert answer.status_code == 200 and "请查收确认邮件".encode() in answer.content
    assert Subscriber.objects.get().status == "pending" and smtp_server.received == []
    assert "the confirmation mail could not be queued" in caplog.text


@pytest.mark.django_db
def test_quoted_and_escaped_spellings_of_a_mailbox_are_one_subscriber_and_one_limit(reader, smtp_server):
    """`"qb648879"@…` and `"qb\\648879"@…` counted as other mailboxes: 11 mails reached one inbox."""
    spellings = ['"qb648879"@example.org', '"qb\\648879"@example.org', "qb648879@example.org", '"QB648879"@example.org',
                 "qb648879+x@example.org"]
    for email in spellings:
        assert submit(reader, email=email).status_code == 200
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["qb648879@example.org"]
    assert len(smtp_server.received) == MAILS_PER_ADDRESS[0]
    assert {recipient for mail in smtp_server.received for recipient in mail.rcpt_tos} == {"qb648879@example.org"}


@pytest.mark.django_db
def test_a_quoted_local_part_that_is_no_plain_name_is_refused(reader, smtp_server):
    for email in ['"q b"@example.org', '"q@b"@example.org', '"q..b"@example.org']:
        assert submit(reader, email=email).status_code == 400
    assert not Subscriber.objects.exists() and smtp_server.received == []


COUNT_PLACES_TAKEN = """
import django, sys
django.setup()
from public.subscriptions import MAILS_PER_ADDRESS, _within_limit
sys.stdin.readline()  # both processes start counting together
print(sum(_within_limit("address", "ana@example.org", MAILS_PER_ADDRESS) for _ in range(MAILS_PER_ADDRESS[0] + 2)))
"""


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_count_one_limit_together():
    """Each gunicorn worker counted in its own memory: 9 requests spread over workers made 8 mails."""
    from tests.publishing.test_cluster import database_url

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()}
    processes = [subprocess.Popen([sys.executable, "-c", COUNT_PLACES_TAKEN], env=env, cwd=REPO_ROOT, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [process.communicate(timeout=120) for process in processes]
    assert all(process.returncode == 0 for process in processes), [stderr for _, stderr in results]
    assert sum(int(stdout) for stdout, _ in results) == MAILS_PER_ADDRESS[0]
