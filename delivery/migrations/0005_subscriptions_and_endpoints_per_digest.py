"""Subscribers and webhook endpoints belong to digests: every existing subscriber is subscribed to the first
digest (made by digests 0002 from the settings), and every existing endpoint is told of its publications."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import digests.models


def rows_to_first_digest(apps, schema_editor):
    Digest = apps.get_model("digests", "Digest")
    first = Digest.objects.order_by("pk").first()
    if first is None:  # no digest yet and no rows to give one: the first is made when it is needed
        return
    apps.get_model("delivery", "WebhookEndpoint").objects.filter(digest__isnull=True).update(digest=first)
    Subscription = apps.get_model("delivery", "Subscription")
    subscriber_ids = apps.get_model("delivery", "Subscriber").objects.values_list("pk", flat=True)
    Subscription.objects.bulk_create(
        (Subscription(subscriber_id=pk, digest=first) for pk in subscriber_ids.iterator(chunk_size=2000)),
        batch_size=1000, ignore_conflicts=True)


def rows_without_digest(apps, schema_editor):
    pass  # going back drops the column and the table


class Migration(migrations.Migration):

    dependencies = [
        ("delivery", "0004_webhook_delivery_lease"),
        ("digests", "0002_first_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint", name="digest",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="webhook_endpoints", to="digests.digest", verbose_name="digest"),
        ),
        migrations.CreateModel(
            name="Subscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False,
                                                    verbose_name="subscribed")),
                ("digest", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                             to="digests.digest", verbose_name="digest")),
                ("subscriber", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                 related_name="subscriptions", to="delivery.subscriber",
                                                 verbose_name="subscriber")),
            ],
            options={
                "verbose_name": "subscription",
                "verbose_name_plural": "subscriptions",
                "ordering": ["digest", "subscriber"],
            },
        ),
        migrations.AddField(
            model_name="subscriber", name="digests",
            field=models.ManyToManyField(related_name="subscribers", through="delivery.Subscription",
                                         to="digests.digest", verbose_name="digests"),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.UniqueConstraint(fields=("subscriber", "digest"), name="subscription_once"),
        ),
        migrations.RunPython(rows_to_first_digest, rows_without_digest),
        migrations.AlterField(
            model_name="webhookendpoint", name="digest",
            field=models.ForeignKey(default=digests.models.home_digest_id, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="webhook_endpoints", to="digests.digest", verbose_name="digest"),
        ),
    ]
