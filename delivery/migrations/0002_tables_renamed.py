"""The moved tables take the delivery app's names (publishing_subscriber → delivery_subscriber, …);
a rename keeps every row, index and constraint."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("delivery", "0001_initial"),
        ("publishing", "0024_delivery_models_moved"),
    ]

    operations = [
        migrations.AlterModelTable(name="subscriber", table=None),
        migrations.AlterModelTable(name="webhookendpoint", table=None),
        migrations.AlterModelTable(name="emaildelivery", table=None),
        migrations.AlterModelTable(name="webhookdelivery", table=None),
    ]
