"""The email edition and webhooks move from publishing into this app, every row kept.

The tables stay where they are (this migration takes over their models' state only, under the
old table names; 0002 then renames the tables), and the models' content types move with them, so
the roles' permissions and the admin's history of each row follow. Schedules that name the old
tasks (retries waiting to run) are pointed at the new ones.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MODELS = ["subscriber", "emaildelivery", "webhookendpoint", "webhookdelivery"]
TASKS = {
    "publishing.tasks.email_batch_task": "delivery.tasks.email_batch_task",
    "publishing.tasks.webhook_delivery_task": "delivery.tasks.webhook_delivery_task",
}


def content_types_and_tasks_follow(apps, schema_editor, *, source="publishing", target="delivery", tasks=TASKS):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moving = ContentType.objects.filter(app_label=source, model=model).first()
        if moving is None:
            continue
        there = ContentType.objects.filter(app_label=target, model=model).first()
        if there is None:
            moving.app_label = target
            moving.save(update_fields=["app_label"])
        else:  # made already (by a post_migrate of the new code): what hung on the old one follows
            _merge_content_type(apps, moving, there)
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in tasks.items():
        Schedule.objects.filter(func=old).update(func=new)


def _merge_content_type(apps, old, new) -> None:
    """Give `new` the groups' and users' permissions and the admin history that `old` had, then drop `old`."""
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type=old):
        twin, _ = Permission.objects.get_or_create(content_type=new, codename=permission.codename,
                                                   defaults={"name": permission.name})
        for group in permission.group_set.all():
            group.permissions.add(twin)
        for user in permission.user_set.all():
            user.user_permissions.add(twin)
    apps.get_model("admin", "LogEntry").objects.filter(content_type=old).update(content_type=new)
    old.delete()


def content_types_and_tasks_go_back(apps, schema_editor):
    content_types_and_tasks_follow(apps, schema_editor, source="delivery", target="publishing",
                                   tasks={new: old for old, new in TASKS.items()})


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("publishing", "0023_subscriber_confirmed_link"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Subscriber',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, unique=True, verbose_name='email address')),
                        ('status', models.CharField(choices=[('pending', 'awaiting confirmation'), ('confirmed', 'confirmed'), ('unsubscribed', 'unsubscribed'), ('bouncing', 'bouncing')], default='pending', max_length=12, verbose_name='status')),
                        ('categories_text', models.CharField(blank=True, max_length=500, verbose_name='categories')),
                        ('wants_corrections', models.BooleanField(default=False, verbose_name='also corrections')),
                        ('unsubscribe_token', models.CharField(editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='subscribed')),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed at')),
                        ('unsubscribed_at', models.DateTimeField(blank=True, null=True, verbose_name='unsubscribed at')),
                        ('confirmed_link_issued_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='confirmation link mailed at')),
                        ('status_reason', models.TextField(blank=True, verbose_name='why')),
                    ],
                    options={
                        'db_table': 'publishing_subscriber',
                        'verbose_name': 'subscriber',
                        'verbose_name_plural': 'subscribers',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('url', models.URLField(max_length=500, verbose_name='URL')),
                        ('kind', models.CharField(choices=[('generic', 'generic JSON'), ('slack', 'Slack'), ('feishu', 'Feishu / Lark'), ('dingtalk', 'DingTalk')], default='generic', max_length=10, verbose_name='kind')),
                        ('secret', models.CharField(blank=True, max_length=200, verbose_name='signing secret')),
                        ('active', models.BooleanField(default=True, verbose_name='active')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                    ],
                    options={
                        'db_table': 'publishing_webhookendpoint',
                        'verbose_name': 'webhook endpoint',
                        'verbose_name_plural': 'webhook endpoints',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='EmailDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'pending'), ('sending', 'sending'), ('sent', 'sent'), ('skipped', 'skipped'), ('failed', 'failed')], default='pending', max_length=10, verbose_name='status')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                        ('claimed_by', models.CharField(blank=True, editable=False, max_length=32)),
                        ('claimed_until', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('smtp_code', models.PositiveIntegerField(blank=True, null=True, verbose_name='SMTP code')),
                        ('smtp_answer', models.TextField(blank=True, verbose_name='SMTP answer')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                        ('last_tried_at', models.DateTimeField(blank=True, null=True, verbose_name='last tried')),
                        ('next_try_at', models.DateTimeField(blank=True, null=True, verbose_name='next try')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                        ('publication', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='email_deliveries', to='publishing.publication', verbose_name='publication')),
                        ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='delivery.subscriber', verbose_name='subscriber')),
                    ],
                    options={
                        'db_table': 'publishing_emaildelivery',
                        'verbose_name': 'email delivery',
                        'verbose_name_plural': 'email deliveries',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['publication', 'status'], name='email_delivery_to_send')],
                        'constraints': [models.UniqueConstraint(fields=('subscriber', 'publication'), name='email_delivery_once')],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'pending'), ('sending', 'sending'), ('delivered', 'delivered'), ('failed', 'failed')], default='pending', max_length=10, verbose_name='status')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                        ('response_status', models.PositiveIntegerField(blank=True, null=True, verbose_name='answer status')),
                        ('response_body', models.TextField(blank=True, verbose_name='answer')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                        ('last_tried_at', models.DateTimeField(blank=True, null=True, verbose_name='last tried')),
                        ('next_try_at', models.DateTimeField(blank=True, null=True, verbose_name='next try')),
                        ('publication', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_deliveries', to='publishing.publication', verbose_name='publication')),
                        ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='delivery.webhookendpoint', verbose_name='endpoint')),
                    ],
                    options={
                        'db_table': 'publishing_webhookdelivery',
                        'verbose_name': 'webhook delivery',
                        'verbose_name_plural': 'webhook deliveries',
                        'ordering': ['-created_at', '-id'],
                        'constraints': [models.UniqueConstraint(fields=('endpoint', 'publication'), name='webhook_delivery_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_and_tasks_follow, content_types_and_tasks_go_back),
    ]
