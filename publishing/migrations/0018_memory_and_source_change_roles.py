"""Editors read the translation memory and the source-change marks; chief editors may also delete a wrong memory unit."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Editor": [("translations", "view_memoryunit"), ("publishing", "view_sourcechange")],
    "Chief editor": [("translations", "view_memoryunit"), ("translations", "delete_memoryunit"),
                     ("publishing", "view_sourcechange")],
}


def memory_readers(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUPS):
        for app, codename in GROUPS[group.name]:
            group.permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))


class Migration(migrations.Migration):
    dependencies = [("publishing", "0017_source_changes"), ("translations", "0006_translation_memory")]

    operations = [migrations.RunPython(memory_readers, migrations.RunPython.noop)]
