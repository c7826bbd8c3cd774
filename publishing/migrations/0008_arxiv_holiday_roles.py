"""Editors and chief editors may add arXiv holidays (and correct them); a chief editor may also delete one."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = ["view_arxivholiday", "add_arxivholiday", "change_arxivholiday"]
GROUPS = {"Editor": EDITOR_PERMISSIONS, "Chief editor": [*EDITOR_PERMISSIONS, "delete_arxivholiday"]}


def holiday_keepers(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="papers", codename__in=GROUPS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0007_day_transitions"), ("papers", "0002_arxiv_holiday")]

    operations = [migrations.RunPython(holiday_keepers, migrations.RunPython.noop)]
