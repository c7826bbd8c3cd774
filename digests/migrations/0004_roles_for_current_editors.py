"""Nobody loses access on upgrade: every member of the Editor or Chief editor group gets that role in the
first digest (the one the installation was); and the Site editor group, who manage digests and people."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SITE_EDITOR_PERMISSIONS = [
    ("digests", "view_digest"), ("digests", "add_digest"), ("digests", "change_digest"),
    ("digests", "view_digestrole"), ("digests", "add_digestrole"), ("digests", "change_digestrole"),
    ("digests", "delete_digestrole"),
    ("auth", "view_user"), ("auth", "add_user"), ("auth", "change_user"),
]


def site_editor_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Site editor")
    group.permissions.add(*[Permission.objects.get(content_type__app_label=app, codename=codename)
                            for app, codename in SITE_EDITOR_PERMISSIONS])


def current_editors_in_first_digest(apps, schema_editor):
    Digest = apps.get_model("digests", "Digest")
    DigestRole = apps.get_model("digests", "DigestRole")
    User = apps.get_model("auth", "User")
    first = Digest.objects.order_by("pk").first()
    if first is None:
        return
    chiefs = set(User.objects.filter(groups__name="Chief editor").values_list("pk", flat=True))
    editors = set(User.objects.filter(groups__name="Editor").values_list("pk", flat=True)) - chiefs
    held = set(DigestRole.objects.filter(digest=first).values_list("user_id", flat=True))
    DigestRole.objects.bulk_create(
        [DigestRole(user_id=pk, digest=first, role="chief") for pk in sorted(chiefs - held)]
        + [DigestRole(user_id=pk, digest=first, role="editor") for pk in sorted(editors - held)]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("digests", "0003_digest_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [
        migrations.RunPython(site_editor_group, migrations.RunPython.noop),
        migrations.RunPython(current_editors_in_first_digest, migrations.RunPython.noop),
    ]
