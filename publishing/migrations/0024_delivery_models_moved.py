"""The email edition's and webhooks' models now belong to the delivery app (its 0001 took them over,
tables and rows included); publishing forgets them. Nothing in the database changes here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("publishing", "0023_subscriber_confirmed_link"),
        ("delivery", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='webhookdelivery',
                    name='endpoint',
                ),
                migrations.RemoveField(
                    model_name='webhookdelivery',
                    name='publication',
                ),
                migrations.DeleteModel(
                    name='EmailDelivery',
                ),
                migrations.DeleteModel(
                    name='Subscriber',
                ),
                migrations.DeleteModel(
                    name='WebhookEndpoint',
                ),
                migrations.DeleteModel(
                    name='WebhookDelivery',
                ),
            ],
            database_operations=[],
        ),
    ]
