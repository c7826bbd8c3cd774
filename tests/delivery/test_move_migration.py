"""Moving the email edition and webhooks into the delivery app keeps every row: a database populated
on the schema before the move (publishing 0023) is migrated, and everything is found after it."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_q.models import Schedule

from delivery.models import EmailDelivery, Subscriber, WebhookDelivery, WebhookEndpoint

BEFORE_THE_MOVE = [("publishing", "0023_subscriber_confirmed_link"), ("delivery", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1]]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_subscribers_deliveries_and_endpoints_survive_the_move():
    old = migrate(BEFORE_THE_MOVE)
    try:
        day = old.get_model("publishing", "DigestDay").objects.create(
            date=dt.date(2026, 1, 9), window_start=timezone.now(), window_end=timezone.now())
        publication = old.get_model("publishing", "Publication").objects.create(
            day=day, version=1, markdown="# day", html="<h1>day</h1>", content_hash="h", paper_count=0,
            published_by_name="chief")
        subscriber = old.get_model("publishing", "Subscriber").objects.create(
            email="ana@example.org", status="confirmed", categories_text=" cs.SD ", unsubscribe_token="t1")
        old.get_model("publishing", "Subscriber").objects.create(
            email="bo@example.org", status="unsubscribed", unsubscribe_token="t2")
        old.get_model("publishing", "EmailDelivery").objects.create(
            subscriber=subscriber, publication=publication, status="failed", attempts=5, smtp_code=550, error="550 gone")
        endpoint = old.get_model("publishing", "WebhookEndpoint").objects.create(
            name="team chat", url="https://chat.example.org/hook", kind="slack", secret="s3cret")
        old.get_model("publishing", "WebhookDelivery").objects.create(
            endpoint=endpoint, publication=publication, status="delivered", attempts=1, response_status=200)
        # The chief editors' permissions on the old models (made here too: an earlier test's flush may
        # have left the database without them).
        keepers, _ = old.get_model("auth", "Group").objects.get_or_create(name="Chief editor")
        for codename in ["view_subscriber", "change_subscriber", "change_emaildelivery", "change_webhookdelivery"]:
            content_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
                app_label="publishing", model=codename.split("_", 1)[1])
            permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": codename})
            keepers.permissions.add(permission)
        # One model's new content type exists already (a post_migrate of the new code ran first):
        # the old one's permissions are merged into it.
        old.get_model("contenttypes", "ContentType").objects.get_or_create(app_label="delivery", model="webhookdelivery")
        Schedule.objects.create(name="email retry", func="publishing.tasks.email_batch_task", args=str(publication.pk),
                                schedule_type=Schedule.ONCE)
    finally:
        migrate(latest())

    ana = Subscriber.objects.get(email="ana@example.org")
    assert (ana.status, ana.categories_text, ana.unsubscribe_token) == ("confirmed", " cs.SD ", "t1")
    assert Subscriber.objects.get(email="bo@example.org").status == "unsubscribed"
    mail = EmailDelivery.objects.get()
    assert (mail.subscriber, mail.publication_id, mail.status, mail.smtp_code) == (ana, publication.pk, "failed", 550)
    hook = WebhookDelivery.objects.select_related("endpoint").get()
    assert (hook.endpoint.name, hook.endpoint.kind, hook.endpoint.secret, hook.status) == (
        "team chat", "slack", "s3cret", "delivered")
    assert WebhookEndpoint.objects.count() == 1
    assert EmailDelivery._meta.db_table in connection.introspection.table_names()
    # The chief editors keep their permissions on the moved models; a waiting retry runs the new task.
    chief = Group.objects.get(name="Chief editor")
    assert {"view_subscriber", "change_subscriber", "change_emaildelivery", "change_webhookdelivery"} <= set(
        chief.permissions.filter(content_type__app_label="delivery").values_list("codename", flat=True))
    assert not Permission.objects.filter(content_type__app_label="publishing", codename__contains="delivery").exists()
    assert not Permission.objects.filter(content_type__app_label="publishing", codename__contains="subscriber").exists()
    assert Schedule.objects.get(name="email retry").func == "delivery.tasks.email_batch_task"
