"""Editors see suggested terms; chief editors also import glossary files and accept or dismiss suggestions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Editor": ["view_suggestedterm", "view_termcorrection"],
    "Chief editor": ["view_suggestedterm", "view_termcorrection", "decide_suggestedterm", "import_glossaryterm"],
}


def glossary_keepers(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="translations", codename__in=GROUPS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0020_email_edition_roles"), ("translations", "0008_term_corrections_and_suggestions")]

    operations = [migrations.RunPython(glossary_keepers, migrations.RunPython.noop)]
