"""The delivery switch: which instance may mail and call webhooks from this database.

The table starts empty. A new installation is switched on for its own instance right after `migrate`
(delivery.receivers, post_migrate: no subscriber, no endpoint yet); a database that already has
subscribers or endpoints (an upgrade, or a copy restored from a backup) delivers nothing until an
operator runs `manage.py enable_delivery` on the instance that should.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("delivery", "0002_tables_renamed"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeliverySwitch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("instance", models.CharField(blank=True, max_length=200, verbose_name="instance")),
                ("switched_at", models.DateTimeField(default=django.utils.timezone.now, editable=False,
                                                     verbose_name="switched at")),
                ("switched_by", models.CharField(max_length=150, verbose_name="switched by")),
            ],
            options={
                "verbose_name": "delivery switch",
                "verbose_name_plural": "delivery switches",
                "ordering": ["-id"],
                "get_latest_by": "id",
            },
        ),
    ]
