"""Editors and chief editors can read every published version (and download its markdown)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def readers_of_publications(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(content_type__app_label="publishing", codename="view_publication")
    for group in Group.objects.filter(name__in=["Editor", "Chief editor"]):
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [("publishing", "0005_search_index_postgresql")]

    operations = [migrations.RunPython(readers_of_publications, migrations.RunPython.noop)]
