"""Each digest has its own readers and webhooks: a reader of two digests gets both editions, a reader of one
only that one's (through a real SMTP server); each mail is its digest's (subject, name, links); the
unsubscribe link of a digest's mail leaves that digest only; an endpoint hears of its digest only; one
form and one confirmation mail subscribe a reader to several digests."""

import datetime as dt
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from delivery.models import EmailDelivery, Subscriber, Subscription, WebhookDelivery, WebhookEndpoint
from delivery.subscribers import subscriber_confirm, subscriber_subscribe
from digests.models import Digest
from digests.roles import digest_roles_give
from digests.services import digest_add
from publishing.models import DigestDay, Entry
from publishing.posts.publication import day_publish
from tests.builders import approve_all
from tests.local_server import Reply

SITE = "https://digest.example.org"


@pytest.fixture
def nlp(db):
    return digest_add(slug="nlp", name="NLP Daily", categories=["cs.CL", "cs.SD"],
                      title_pattern="NLP 日报 · {date}")


def confirmed(email, digests, **choices) -> Subscriber:
    subscribed = subscriber_subscribe(email=email, digests=digests, **choices)
    return subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])


def day_of(digest, template: DigestDay, *, papers: int) -> DigestDay:
    """A day of `digest` on the template's date holding its first papers (shared papers: one text each)."""
    day = DigestDay.objects.create(digest=digest, date=template.date, window_start=template.window_start,
                                   window_end=template.window_end, status=DigestDay.Status.IN_REVIEW)
    for position, entry in enumerate(template.entries.order_by("position")[:papers], start=1):
        Entry.objects.create(day=day, paper=entry.paper, paper_version=entry.paper_version, kind="new",
                             position=position, state=Entry.State.IN_REVIEW)
    return day


def publish_both(home_day, nlp, editor, chief, capture) -> tuple[DigestDay, DigestDay]:
    nlp_day = day_of(nlp, home_day, papers=2)
    digest_roles_give(user=editor, role="editor", digests=[nlp])
    digest_roles_give(user=chief, role="chief", digests=[nlp])
    for day in (home_day, nlp_day):
        approve_all(day, editor)
        with capture(execute=True):
            day_publish(day=day, user=chief)
        day.refresh_from_db()
    return home_day, nlp_day


def editions(server, address):
    return [mail for mail in server.to(address) if "请确认订阅" not in mail.message["Subject"]]


def test_each_reader_gets_exactly_the_editions_of_their_digests(drafted_day, nlp, editor, chief, smtp_server,
                                                                django_capture_on_commit_callbacks):
    home = Digest.objects.home()
    both = confirmed("both@example.org", [home, nlp])
    confirmed("home-only@example.org", [home])
    confirmed("nlp-only@example.org", ["nlp"])
    home_day, nlp_day = publish_both(drafted_day, nlp, editor, chief, django_capture_on_commit_callbacks)

    subjects = {address: sorted(mail.message["Subject"] for mail in editions(smtp_server, address))
                for address in ("both@example.org", "home-only@example.org", "nlp-only@example.org")}
    assert subjects == {
        "both@example.org": ["NLP 日报 · 2026-01-09", "arXiv Daily – 2026-01-09"],
        "home-only@example.org": ["arXiv Daily – 2026-01-09"],
        "nlp-only@example.org": ["NLP 日报 · 2026-01-09"],
    }
    assert EmailDelivery.objects.filter(publication=nlp_day.live_publication_id).count() == 2

    (nlp_mail,) = [mail for mail in editions(smtp_server, "both@example.org") if "NLP" in mail.message["Subject"]]
    text, html = nlp_mail.part("text/plain"), nlp_mail.part("text/html")
    assert "NLP Daily · 共 2 篇" in text and "「NLP Daily」邮件版" in html
    assert f"{SITE}/d/nlp/days/2026-01-09/" in text and f"{SITE}/d/nlp/papers/" in html
    assert f"{SITE}/days/" not in text and f'"{SITE}/papers/' not in html, "no link to another digest's pages"
    unsubscribe = f"{SITE}/unsubscribe/{both.unsubscribe_token}/?digest=nlp"
    assert nlp_mail.message["List-Unsubscribe"].strip() == f"<{unsubscribe}>" and unsubscribe in text

    (home_mail,) = [mail for mail in editions(smtp_server, "both@example.org") if "arXiv" in mail.message["Subject"]]
    assert f"{SITE}/days/2026-01-09/" in home_mail.part("text/plain"), "the first digest keeps the site's URLs"
    assert home_mail.message["List-Unsubscribe"].strip() == f"<{SITE}/unsubscribe/{both.unsubscribe_token}/>"


def test_the_unsubscribe_link_of_a_digests_mail_leaves_that_digest_in_one_click(
        drafted_day, nlp, editor, chief, smtp_server, django_capture_on_commit_callbacks):
    home = Digest.objects.home()
    both = confirmed("both@example.org", [home, nlp])
    nlp_only = confirmed("nlp-only@example.org", [nlp])
    publish_both(drafted_day, nlp, editor, chief, django_capture_on_commit_callbacks)

    def one_click(subscriber):
        (mail,) = [mail for mail in editions(smtp_server, subscriber.email) if "NLP" in mail.message["Subject"]]
        link = mail.message["List-Unsubscribe"].strip()[1:-1].removeprefix(SITE)
        page = Client().get(link).content.decode()
        assert "不再收到「NLP Daily」的邮件版" in page
        # What a mail client does for List-Unsubscribe-Post: a bare POST, no cookie, no CSRF token.
        answer = Client(enforce_csrf_checks=True).post(link, "List-Unsubscribe=One-Click",
                                                       content_type="application/x-www-form-urlencoded")
        assert answer.status_code == 200
        return answer.content.decode(), Client().get(link).content.decode()

    done, again = one_click(both)
    assert "不会再收到「NLP Daily」的邮件版，仍会收到：「arXiv Daily」" in done
    assert "已经退订过「NLP Daily」" in again and "<button" not in again.split("<main>")[1]
    both.refresh_from_db()
    assert both.status == "confirmed" and list(both.digests.all()) == [home]

    done, _again = one_click(nlp_only)
    assert "也不再订阅任何日报" in done
    nlp_only.refresh_from_db()
    assert nlp_only.status == "unsubscribed" and not nlp_only.digests.exists()


def test_a_reader_who_left_a_digest_before_its_mail_went_out_is_skipped(
        drafted_day, nlp, editor, chief, smtp_server, monkeypatch, django_capture_on_commit_callbacks):
    from django_q.conf import Conf

    from delivery.sending import LEFT_THE_DIGEST, email_deliveries_send_all
    from delivery.subscribers import subscriber_unsubscribe

    home = Digest.objects.home()
    both = confirmed("both@example.org", [home, nlp])
    monkeypatch.setattr(Conf, "SYNC", False)  # the sending waits in the queue
    publish_both(drafted_day, nlp, editor, chief, django_capture_on_commit_callbacks)
    assert EmailDelivery.objects.filter(status="pending").count() == 2
    subscriber_unsubscribe(subscriber=both, digest=nlp)
    email_deliveries_send_all()
    assert [mail.message["Subject"] for mail in editions(smtp_server, both.email)] == ["arXiv Daily – 2026-01-09"]
    left = EmailDelivery.objects.get(publication__day__digest=nlp)
    assert (left.status, left.error) == ("skipped", LEFT_THE_DIGEST)


def test_an_endpoint_hears_only_of_its_digests_publications(drafted_day, nlp, editor, chief, local_server, settings,
                                                            django_capture_on_commit_callbacks):
    settings.DIGEST_SITE_URL = SITE
    local_server.handler = lambda request: Reply(status=200, body=b"ok", headers={"Content-Type": "text/plain"})
    home_hook = WebhookEndpoint.objects.create(name="home", url=f"{local_server.url}/home")  # no digest: the first
    WebhookEndpoint.objects.create(name="nlp", url=f"{local_server.url}/nlp", digest=nlp)
    WebhookEndpoint.objects.create(name="nlp chat", url=f"{local_server.url}/nlp-chat", digest=nlp, kind="slack")
    publish_both(drafted_day, nlp, editor, chief, django_capture_on_commit_callbacks)

    assert home_hook.digest == Digest.objects.home()
    bodies = {request.path: json.loads(request.body) for request in local_server.requests}
    assert sorted(bodies) == ["/home", "/nlp", "/nlp-chat"]
    assert (bodies["/home"]["digest"]["slug"], bodies["/home"]["title"], len(bodies["/home"]["papers"])) == (
        Digest.objects.home().slug, "arXiv Daily – 2026-01-09", 6)
    assert bodies["/nlp"]["digest"] == {"slug": "nlp", "name": "NLP Daily"}
    assert (bodies["/nlp"]["title"], len(bodies["/nlp"]["papers"])) == ("NLP 日报 · 2026-01-09", 2)
    assert bodies["/nlp"]["url"] == f"{SITE}/d/nlp/days/2026-01-09/"
    assert all(paper["url"].startswith(f"{SITE}/d/nlp/papers/") for paper in bodies["/nlp"]["papers"])
    assert bodies["/nlp-chat"]["text"].startswith("NLP 日报 · 2026-01-09（2 篇）")
    assert WebhookDelivery.objects.filter(endpoint__digest=nlp).count() == 2


def test_the_admin_shows_and_filters_endpoints_and_subscribers_by_digest(client, chief, nlp):
    WebhookEndpoint.objects.create(name="home hook", url="https://93.184.216.34/home")
    WebhookEndpoint.objects.create(name="nlp hook", url="https://93.184.216.34/nlp", digest=nlp)
    confirmed("nlp-reader@example.org", [nlp])
    confirmed("home-reader@example.org", [])
    client.force_login(chief)
    endpoints = reverse("admin:delivery_webhookendpoint_changelist")
    page = client.get(f"{endpoints}?digest__id__exact={nlp.pk}").content.decode()
    assert "nlp hook" in page and "home hook" not in page and "NLP Daily" in page
    subscribers = reverse("admin:delivery_subscriber_changelist")
    page = client.get(f"{subscribers}?digests__id__exact={nlp.pk}").content.decode()
    assert "nlp-reader@example.org" in page and "home-reader@example.org" not in page
    add = reverse("admin:delivery_webhookendpoint_add")
    assert client.post(add, {"digest": nlp.pk, "name": "new", "kind": "generic", "url": "https://93.184.216.34/x",
                             "secret": "", "active": "on"}).status_code == 302
    assert WebhookEndpoint.objects.get(name="new").digest == nlp


# --- The form: several digests, one confirmation ------------------------------------------------------

LINK_RE = re.compile(r"https://digest\.example\.org(/subscribe/confirm/[^/\s]+/)")


def post_form(reader, path, data=None):
    page = reader.get(path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    return reader.post(path, {"csrfmiddlewaretoken": token, **(data or {})})


@pytest.fixture
def reader(db):
    cache.clear()  # the form's rate limits
    yield Client(enforce_csrf_checks=True)
    cache.clear()


def test_one_form_and_one_confirmation_mail_subscribe_to_several_digests(
        reader, nlp, smtp_server, django_capture_on_commit_callbacks):
    home = Digest.objects.home()
    form = reader.get(reverse("public:subscribe")).content.decode()
    assert 'name="digests"' in form and "NLP Daily" in form and 'value="cs.CL"' in form
    preselected = reader.get(reverse("public:subscribe") + "?digest=nlp").content.decode()
    assert re.search(r'value="nlp"[^>]*checked', preselected)

    with django_capture_on_commit_callbacks(execute=True):
        answer = post_form(reader, reverse("public:subscribe"),
                           {"email": "ana@example.org", "digests": [home.slug, "nlp"], "categories": ["cs.SD"]})
    assert answer.status_code == 200
    (mail,) = smtp_server.to("ana@example.org")
    assert "「arXiv Daily」「NLP Daily」" in mail.message.get_content()
    path = LINK_RE.search(mail.message.get_content()).group(1)
    assert "「NLP Daily」" in reader.get(path).content.decode()
    assert post_form(reader, path).status_code == 200
    ana = Subscriber.objects.get(email="ana@example.org")
    assert (ana.status, ana.categories, sorted(ana.digests.values_list("slug", flat=True))) == (
        "confirmed", ["cs.SD"], sorted([home.slug, "nlp"]))

    # Subscribing again names the digests anew: the link's choice replaces the former one.
    with django_capture_on_commit_callbacks(execute=True):
        post_form(reader, reverse("public:subscribe"), {"email": "ana@example.org", "digests": ["nlp"]})
    assert post_form(reader, LINK_RE.search(smtp_server.to("ana@example.org")[-1].message.get_content())
                     .group(1)).status_code == 200
    assert list(ana.digests.values_list("slug", flat=True)) == ["nlp"]


def test_the_form_refuses_no_digest_and_a_category_of_another_digest(reader, nlp, smtp_server):
    home = Digest.objects.home()
    answer = post_form(reader, reverse("public:subscribe"), {"email": "ana@example.org"})
    assert answer.status_code == 400 and "请至少选择一份日报" in answer.content.decode()
    answer = post_form(reader, reverse("public:subscribe"),
                       {"email": "ana@example.org", "digests": [home.slug], "categories": ["cs.CL"]})
    assert answer.status_code == 400 and "所选分类不属于所选的日报" in answer.content.decode()
    assert not Subscriber.objects.exists() and smtp_server.received == []


def test_with_one_digest_the_form_offers_no_choice_and_subscribes_to_it(reader, smtp_server,
                                                                      django_capture_on_commit_callbacks):
    form = reader.get(reverse("public:subscribe")).content.decode()
    assert 'name="digests"' not in form
    with django_capture_on_commit_callbacks(execute=True):
        post_form(reader, reverse("public:subscribe"), {"email": "ana@example.org"})
    text = smtp_server.to("ana@example.org")[0].message.get_content()
    assert "订阅的日报" not in text
    assert post_form(reader, LINK_RE.search(text).group(1)).status_code == 200
    assert list(Subscription.objects.values_list("subscriber__email", "digest")) == [
        ("ana@example.org", Digest.objects.home().pk)]


def test_a_confirmation_link_from_before_digests_subscribes_to_the_first(db):
    """Links mailed by the version before digests carry no digest: they confirm the first digest."""
    from django.core import signing
    from django.utils import timezone

    from delivery.subscribers import CONFIRMATION_SALT

    subscriber = Subscriber.objects.create(email="ana@example.org", unsubscribe_token="t1")
    digest_add(slug="other", name="Other", categories=["cs.CV"])
    token = signing.dumps({"s": subscriber.pk, "e": subscriber.email, "c": "", "r": False,
                           "t": (timezone.now() - dt.timedelta(minutes=1)).isoformat()},
                          salt=CONFIRMATION_SALT, compress=True)
    subscriber_confirm(token=token)
    assert list(subscriber.digests.all()) == [Digest.objects.home()]


# --- Existing readers and endpoints: the first digest's ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_existing_subscribers_and_endpoints_become_the_first_digests():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    # As `migrate` leaves an installation (a transactional test may start on tables another test emptied).
    first = Digest.objects.home()
    old = migrate([("delivery", "0004_webhook_delivery_lease")])
    try:
        Subscriber_ = old.get_model("delivery", "Subscriber")
        for number, status in enumerate(["confirmed", "pending", "unsubscribed"]):
            Subscriber_.objects.create(email=f"r{number}@example.org", status=status, unsubscribe_token=f"t{number}")
        old.get_model("delivery", "WebhookEndpoint").objects.create(name="ours", url="https://93.184.216.34/hook")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert sorted(Subscription.objects.values_list("subscriber__email", "digest")) == [
        (f"r{number}@example.org", first.pk) for number in range(3)]
    assert list(Subscriber.objects.receiving(digest=first).values_list("email", flat=True)) == ["r0@example.org"]
    assert WebhookEndpoint.objects.get().digest == first
