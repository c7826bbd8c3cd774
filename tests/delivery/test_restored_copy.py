"""A restored copy of the database never mails readers or calls webhooks until an operator enables delivery there.

The database records which instance delivers (delivery.switch). A copy restored elsewhere (here: the
same database under another DIGEST_INSTANCE, and a real `sqlite3 .backup` / `pg_dump -Fc` + `pg_restore`
copy run by other processes) holds its mail and webhook deliveries pending, unclaimed and unfailed,
until `enable_delivery` runs on it; then each goes out once. A new installation delivers with no command.
"""

import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf

from delivery.models import DeliverySwitch, EmailDelivery, WebhookDelivery, WebhookEndpoint
from delivery.schedule import deliveries_sweep
from delivery.subscribers import subscriber_confirm, subscriber_subscribe
from delivery.switch import NEW_INSTALLATION, delivery_enable_new_installation, delivery_hold
from delivery.tasks import email_batch_task, webhook_delivery_task
from publishing.posts.publication import day_publish
from tests.builders import approve_all
from tests.local_server import Reply
from tests.publishing.test_cluster import Cluster, database_url

REPO_ROOT = Path(__file__).resolve().parents[2]
READERS = ["ana@example.org", "bo@example.org"]


def confirmed(email):
    subscribed = subscriber_subscribe(email=email)
    return subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])


def editions(server):
    """The day's mails the server accepted (not the confirmation mails)."""
    return [mail for mail in server.received if "请确认订阅" not in mail.message["Subject"]]


def command(name, *arguments) -> str:
    output = StringIO()
    call_command(name, *arguments, stdout=output)
    return output.getvalue()


@pytest.fixture
def receiver(local_server):
    local_server.handler = lambda request: Reply(status=200, body=b"ok", headers={"Content-Type": "text/plain"})
    return local_server


@pytest.fixture
def readers_and_endpoint(db, smtp_server, receiver):
    """Two confirmed readers and an endpoint, made on the instance that delivers (their confirmations mailed)."""
    for address in READERS:
        confirmed(address)
    WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook")
    smtp_server.received.clear()


def publish(day, editor, chief, capture):
    approve_all(day, editor)
    with capture(execute=True):
        day_publish(day=day, user=chief)


def assert_waiting(smtp_server, receiver):
    """Nothing reached the mail server or the endpoint, and every delivery waits untouched."""
    assert editions(smtp_server) == [] and receiver.requests == []
    assert set(EmailDelivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    assert list(WebhookDelivery.objects.values_list("status", "attempts")) == [("pending", 0)]


def assert_delivered_once(smtp_server, receiver):
    assert sorted(mail.to for mail in editions(smtp_server)) == READERS
    assert len(receiver.requests) == 1
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert list(WebhookDelivery.objects.values_list("status", "attempts")) == [("delivered", 1)]


def test_a_database_made_by_migrate_delivers_from_its_own_instance_with_no_command(db):
    # The test database is a new installation: `migrate` made it, with no subscriber and no endpoint.
    switch = DeliverySwitch.objects.get()
    assert (switch.instance, switch.switched_by) == ("tests", NEW_INSTALLATION)
    assert not delivery_hold().held
    assert command("enable_delivery", "--status").startswith("delivery enabled for this instance 'tests' (since ")


def test_a_copy_under_another_instance_holds_mail_and_webhooks_until_enabled_there(
        readers_and_endpoint, drafted_day, editor, chief, smtp_server, receiver, settings, client,
        django_capture_on_commit_callbacks):
    settings.DIGEST_INSTANCE = "staging.example.org"  # the same rows, seen from a copy restored elsewhere
    publish(drafted_day, editor, chief, django_capture_on_commit_callbacks)
    drafted_day.refresh_from_db()
    publication = drafted_day.live_publication
    assert EmailDelivery.objects.count() == 2 and WebhookDelivery.objects.count() == 1
    assert_waiting(smtp_server, receiver)

    # Whatever runs on the copy (its workers' tasks, the sweep, the shell) sends nothing.
    status = command("enable_delivery", "--status")
    enabled_at = timezone.localtime(DeliverySwitch.objects.get().switched_at).strftime("%Y-%m-%d %H:%M")
    assert status == ("delivery held on this instance 'staging.example.org': this database delivers from 'tests' "
                      f"(enabled there {enabled_at} by migrate (new installation)); run `manage.py enable_delivery` "
                      "on the instance that should mail and call webhooks\n")
    assert email_batch_task(publication.pk) == status.strip()
    assert webhook_delivery_task(WebhookDelivery.objects.get().pk) == status.strip()
    assert command("send_email_editions") == f"email edition: {status}"
    with django_capture_on_commit_callbacks(execute=True):
        sweep = deliveries_sweep()
    assert (sweep.email_batches_queued, sweep.webhooks_queued) == (0, 0) and "nothing queued: delivery held" in str(sweep)
    assert_waiting(smtp_server, receiver)

    # The admin says so, on the front page and on delivery's pages.
    client.force_login(chief)
    for page in ("/admin/", "/admin/delivery/emaildelivery/", "/admin/delivery/"):
        text = client.get(page).content.decode()
        assert 'id="delivery-held"' in text and "staging.example.org" in text and "enable_delivery" in text, page

    with django_capture_on_commit_callbacks(execute=True):
        enabled = command("enable_delivery")
    assert enabled.count("\n") == 1
    assert enabled.startswith("delivery enabled for this instance 'staging.example.org' (was held: this database "
                              "delivers from 'tests'")
    assert enabled.endswith("; come due: 0 editions, 0 announcements; queued again: 1 email batches, "
                            "1 webhook deliveries\n")
    assert_delivered_once(smtp_server, receiver)
    assert DeliverySwitch.objects.latest().instance == "staging.example.org"
    assert 'id="delivery-held"' not in client.get("/admin/").content.decode()

    # Enabling again, the sweep, the shell: nobody gets anything twice.
    assert command("enable_delivery").startswith("delivery enabled for this instance 'staging.example.org' (since ")
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_sweep()
    assert command("send_email_editions") == "email edition: claimed 0: sent 0, deferred 0, failed 0, skipped 0\n"
    assert_delivered_once(smtp_server, receiver)


def test_a_database_with_subscribers_and_no_recorded_instance_holds(
        readers_and_endpoint, drafted_day, editor, chief, smtp_server, receiver, django_capture_on_commit_callbacks):
    # A copy restored from a backup made before the switch existed (or the upgrade that brings it).
    DeliverySwitch.objects.all().delete()
    assert delivery_enable_new_installation() is None, "not a new installation: it has readers"
    publish(drafted_day, editor, chief, django_capture_on_commit_callbacks)
    hold = delivery_hold()
    assert hold.held and "held on this instance 'tests': no instance is recorded as the one that delivers" in str(hold)
    assert_waiting(smtp_server, receiver)

    with django_capture_on_commit_callbacks(execute=True):
        assert "(was held: no instance is recorded" in command("enable_delivery")
    assert_delivered_once(smtp_server, receiver)


def test_disable_delivery_holds_every_instance_until_one_is_enabled(
        readers_and_endpoint, drafted_day, editor, chief, smtp_server, receiver, django_capture_on_commit_callbacks):
    assert command("disable_delivery").startswith("delivery switched off: no instance mails or calls webhooks")
    assert command("disable_delivery").startswith("nothing to do: delivery was switched off ")
    publish(drafted_day, editor, chief, django_capture_on_commit_callbacks)
    assert_waiting(smtp_server, receiver)
    assert "delivery was switched off" in command("enable_delivery", "--status")

    with django_capture_on_commit_callbacks(execute=True):
        assert "(was held: delivery was switched off " in command("enable_delivery")
    assert_delivered_once(smtp_server, receiver)
    assert list(DeliverySwitch.objects.order_by("id").values_list("instance", flat=True)) == ["tests", "", "tests"]


# --- A real backup, restored as another instance, run by other processes ----------------------


class RestoredCopy:
    """A copy of the test database made the way docs/operations.md says (SQLite: `sqlite3 DB ".backup FILE"`;
    PostgreSQL: `pg_dump -Fc`, then `pg_restore` into a new database), and `manage.py` run on it."""

    def __init__(self, folder: Path, **env) -> None:
        self.folder = folder
        self.vendor = connection.vendor
        self.original = connection.settings_dict
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DIGEST_VAR_DIR": str(folder), **env}
        self.made = False

    def _pg(self, tool: str, *arguments: str) -> None:
        db = self.original
        env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
        subprocess.run([tool, "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"],
                        *arguments], env=env, check=True, capture_output=True, text=True, timeout=120)

    def make(self) -> "RestoredCopy":
        if self.vendor == "sqlite":
            self.path = self.folder / "restored.sqlite3"
            subprocess.run(["sqlite3", str(self.original["NAME"]), f".backup '{self.path}'"], check=True, timeout=60)
            self.url = f"sqlite:///{self.path}"
        else:
            dump = self.folder / "backup.dump"
            self.name = f"{self.original['NAME']}_restored"
            self._pg("pg_dump", "-Fc", "-f", str(dump), self.original["NAME"])
            self._pg("dropdb", "--if-exists", self.name)
            self._pg("createdb", self.name)
            self.made = True
            self._pg("pg_restore", "--no-owner", "-d", self.name, str(dump))
            self.url = database_url().rsplit("/", 1)[0] + f"/{self.name}"
        self.env["DATABASE_URL"] = self.url
        return self

    def drop(self) -> None:
        if self.made:
            self._pg("dropdb", "--if-exists", "--force", self.name)

    def manage(self, *arguments: str) -> str:
        result = subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), *arguments], env=self.env,
                                cwd=self.folder, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def rows(self, sql: str) -> list[tuple]:
        if self.vendor == "sqlite":
            import sqlite3

            with sqlite3.connect(self.path) as database:
                return database.execute(sql).fetchall()
        import psycopg

        db = self.original
        with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                             password=db["PASSWORD"] or None, dbname=self.name) as database:
            return database.execute(sql).fetchall()


@pytest.mark.timeout_sensitive
def test_a_restored_backup_run_as_staging_mails_and_calls_nothing_until_enabled_there(
        delivery_switched_on, smtp_server, receiver, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import User

    from tests.builders import demo_day_drafted

    # A superuser: a transactional test may run after another emptied the tables, the role groups included.
    chief = User.objects.create_superuser("chief", "chief@example.org", "pw")
    day = demo_day_drafted(django_capture_on_commit_callbacks)
    for address in READERS:
        confirmed(address)
    WebhookEndpoint.objects.create(name="ours", url=f"{receiver.url}/hook")
    smtp_server.received.clear()
    # Production publishes; its sending tasks wait in the queue (a table of the database) when the backup is made.
    monkeypatch.setattr(Conf, "SYNC", False)
    publish(day, chief, chief, django_capture_on_commit_callbacks)
    assert EmailDelivery.objects.filter(status="pending").count() == 2

    copy = RestoredCopy(tmp_path, DIGEST_INSTANCE="staging.example.org", EMAIL_BACKEND="smtp",
                        EMAIL_HOST=smtp_server.host, EMAIL_PORT=str(smtp_server.port))
    try:
        copy.make()
        assert copy.manage("enable_delivery", "--status").startswith(
            "delivery held on this instance 'staging.example.org': this database delivers from 'tests'")
        # The copy's workers run the tasks the backup carried, and the shell tries to send: nothing goes out.
        queued = copy.rows("SELECT COUNT(*) FROM django_q_ormq")[0][0]
        assert queued >= 2, "the batch and the webhook tasks travelled with the backup"
        cluster = Cluster("http://127.0.0.1:9", DATABASE_URL=copy.url, DIGEST_INSTANCE="staging.example.org",
                          EMAIL_BACKEND="smtp", EMAIL_HOST=smtp_server.host, EMAIL_PORT=str(smtp_server.port),
                          DIGEST_VAR_DIR=str(tmp_path)).start()
        try:
            deadline = time.monotonic() + 60
            while copy.rows("SELECT COUNT(*) FROM django_q_ormq")[0][0] and time.monotonic() < deadline:
                time.sleep(0.3)
            ran = copy.rows("SELECT COUNT(*) FROM django_q_task")[0][0]
        finally:
            cluster.stop()
        assert ran >= queued, cluster.output()
        assert "delivery held" in copy.manage("send_email_editions")
        assert editions(smtp_server) == [] and receiver.requests == []
        assert copy.rows("SELECT DISTINCT status, attempts FROM delivery_emaildelivery") == [("pending", 0)]
        assert copy.rows("SELECT status, attempts FROM delivery_webhookdelivery") == [("pending", 0)]

        # The operator enables delivery on the copy: each reader and the endpoint get the day once.
        enabled = copy.manage("enable_delivery")
        assert enabled.startswith("delivery enabled for this instance 'staging.example.org'"), enabled
        assert sorted(mail.to for mail in editions(smtp_server)) == READERS and len(receiver.requests) == 1
        assert copy.manage("send_email_editions").startswith("email edition: claimed 0:")
        assert len(editions(smtp_server)) == 2 and len(receiver.requests) == 1
        assert copy.rows("SELECT DISTINCT status FROM delivery_emaildelivery") == [("sent",)]
    finally:
        copy.drop()
    # The original never saw any of it.
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"pending"}
