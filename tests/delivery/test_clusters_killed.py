"""Two real django-q2 clusters on Redis sending the email edition through a real SMTP server, one killed
with SIGKILL while the server holds one of its messages: every subscriber gets exactly one mail, and no
one runs a command. Delivery's sweep runs from its real Schedule, in the surviving cluster.

The kill comes once every message the server accepted from the doomed cluster is marked sent: outside
the window delivery.sending documents (a worker dying in the milliseconds between the server's 250 and
the row's commit makes that one reader get the day twice, with the same Message-ID). A kill timed only
by the held message could land in that window of the cluster's other worker, and did in CI."""

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django_q.conf import Conf

from delivery.models import EmailDelivery
from delivery.schedule import delivery_schedule_install
from tests.builders import approve_all, demo_day_drafted
from tests.delivery.test_email_edition import confirmed, editions, publish
from tests.publishing.test_cluster import Cluster, wait_for
from tests.redis_db import redis_broker

SUBSCRIBERS = 30
BATCH = 4
# Short, but Q_TIMEOUT must outlast the LLM client (checked at start-up); a claim's lease is Q_TIMEOUT + 60 s,
# and delivery's sweep runs every minute (its shortest), checked by each cluster's scheduler every 30 s.
TIMING = {"Q_TIMEOUT": "8", "Q_RETRY": "10", "DIGEST_LLM_TIMEOUT": "8", "Q_WORKERS": "2",
          "DIGEST_WATCHDOG_MINUTES": "1", "DIGEST_EMAIL_BATCH_SIZE": str(BATCH)}


def sender(name: str) -> str:
    return f"digest-{name}@example.org"  # each cluster's own envelope sender: the server tells them apart


def accepted_from(name: str, smtp_server) -> set[str]:
    return {mail.to for mail in editions(smtp_server) if mail.mail_from == sender(name)}


def sent_addresses() -> set[str]:
    return set(EmailDelivery.objects.filter(status="sent").values_list("subscriber__email", flat=True))


def rows(status: str) -> int:
    return EmailDelivery.objects.filter(status=status).count()


@pytest.mark.timeout_sensitive
def test_a_cluster_killed_mid_sending_leaves_every_subscriber_exactly_one_mail(
        delivery_switched_on, smtp_server, settings, monkeypatch, django_capture_on_commit_callbacks):
    # A superuser: a transactional test may run after another emptied the tables, the role groups included.
    chief = User.objects.create_superuser("chief", "chief@example.org", "pw")
    day = demo_day_drafted(django_capture_on_commit_callbacks)
    addresses = sorted(f"reader{number:02d}@example.org" for number in range(SUBSCRIBERS))
    for address in addresses:
        confirmed(address)
    smtp_server.received.clear()
    settings.DIGEST_EMAIL_BATCH_SIZE = BATCH
    settings.DIGEST_WATCHDOG_MINUTES = 1
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 4}  # four chains of batches: two clusters × two workers
    with redis_broker(monkeypatch) as broker:
        assert Conf.SYNC is False
        approve_all(day, chief)
        publish(day, chief, django_capture_on_commit_callbacks)
        assert rows("pending") == SUBSCRIBERS and broker.client.llen(broker.queue_key) == 4
        delivery_schedule_install()  # what install_schedule does at deployment

        smtp_server.hold_from, smtp_server.hold_after = sender("a"), 2  # a's third message waits at DATA
        mail_env = {"EMAIL_BACKEND": "smtp", "EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port),
                    "DIGEST_SITE_URL": "https://digest.example.org"}
        clusters = {name: Cluster("http://127.0.0.1:9", DEFAULT_FROM_EMAIL=f"arXiv Daily <{sender(name)}>",
                                  **mail_env, **TIMING, **broker.cluster_env()) for name in ("a", "b")}
        started = time.monotonic()
        try:
            for cluster in clusters.values():
                cluster.start()
            assert smtp_server.holding.wait(120), "cluster a never reached its third message"
            # From here the server holds every message of a's: the set it accepted from a is final.
            wait_for(lambda: accepted_from("a", smtp_server) <= sent_addresses(), 30,
                     "a's accepted messages to be marked sent", clusters["a"])
            clusters["a"].kill()
            killed = time.monotonic()
            at_kill = {"sent": rows("sent"), "sending": rows("sending"), "pending": rows("pending"),
                       "by b": sum(1 for mail in smtp_server.received if mail.mail_from == sender("b"))}
            smtp_server.release()  # the held message is refused: its sender is gone
            wait_for(lambda: rows("sent") == SUBSCRIBERS, 240, "every row to be sent with one cluster left",
                     clusters["b"])
            recovered = time.monotonic()
            time.sleep(1)  # anything sent twice would arrive now
        finally:
            for cluster in clusters.values():
                cluster.stop()

    mails = editions(smtp_server)
    assert sorted(mail.to for mail in mails) == addresses, "every subscriber exactly once"
    assert at_kill["sending"] >= 1, "the killed cluster held rows it had claimed"
    by_a = sum(1 for mail in mails if mail.mail_from == sender("a"))
    retried = EmailDelivery.objects.filter(attempts=2).count()
    print(f"\nkill mid-sending on Redis ({django_settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}): "
          f"{SUBSCRIBERS} subscribers, batches of {BATCH}, 2 clusters × 2 workers, Q_TIMEOUT {TIMING['Q_TIMEOUT']} s "
          f"(lease {int(TIMING['Q_TIMEOUT']) + 60} s); killed {killed - started:.1f} s after start ({at_kill}); "
          f"every row sent {recovered - killed:.1f} s after the kill; mails {len(mails)} ({by_a} by a, "
          f"{len(mails) - by_a} by b), {retried} rows claimed twice")
