"""A webhook delivery gets a lease, as an email delivery has: a sender that dies leaves its row claimed
until `claimed_until`, then any try claims it again.

Rows already `sending` (a sender that died before this release, or one still running during the
upgrade) get a lease from now: a live sender finishes within it, a dead one's row is sent after it."""

import datetime as dt

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def lease_rows_in_flight(apps, schema_editor):
    webhook_delivery = apps.get_model("delivery", "WebhookDelivery")
    lease = dt.timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)  # delivery.retries.lease at this release
    webhook_delivery.objects.filter(status="sending").update(claimed_until=timezone.now() + lease)


class Migration(migrations.Migration):

    dependencies = [
        ('delivery', '0003_delivery_switch'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookdelivery',
            name='claimed_by',
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='webhookdelivery',
            name='claimed_until',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(lease_rows_in_flight, migrations.RunPython.noop),
    ]
