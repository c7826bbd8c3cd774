"""Chief editors see subscribers (they may unsubscribe one) and the email deliveries (they may retry them).
Editors do not: subscribers' addresses are readers' personal data."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Chief editor": ["view_subscriber", "change_subscriber", "view_emaildelivery", "change_emaildelivery"],
}


def email_keepers(apps, schema_editor):
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
    dependencies = [("publishing", "0019_email_edition")]

    operations = [migrations.RunPython(email_keepers, migrations.RunPython.noop)]
