"""Chief editors register webhook endpoints and see (and retry) their deliveries; editors see the deliveries."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Editor": ["view_webhookdelivery"],
    "Chief editor": ["view_webhookendpoint", "add_webhookendpoint", "change_webhookendpoint",
                     "delete_webhookendpoint", "view_webhookdelivery", "change_webhookdelivery"],
}


def webhook_keepers(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="publishing", codename__in=GROUPS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0014_webhooks")]

    operations = [migrations.RunPython(webhook_keepers, migrations.RunPython.noop)]
