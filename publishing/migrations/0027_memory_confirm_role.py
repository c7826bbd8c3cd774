"""Editors and chief editors confirm translation memory units held because they were approved over a check error."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Editor", "Chief editor")


def memory_confirmers(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    confirm = Permission.objects.get(content_type__app_label="translations", codename="confirm_memoryunit")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(confirm)


class Migration(migrations.Migration):
    dependencies = [("publishing", "0026_scheduled_publication_correction_note"),
                    ("translations", "0009_memory_units_held_until_confirmed")]

    operations = [migrations.RunPython(memory_confirmers, migrations.RunPython.noop)]
