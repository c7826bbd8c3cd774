"""Give existing drafted papers their first revision and their entries the review state;
create the Editor and Chief editor groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TEXT_FIELDS = ("title_zh", "abstract_zh", "background_md", "method_md", "results_md")

EDITOR_PERMISSIONS = [
    ("papers", "view_paper"),
    ("papers", "view_fetchrun"),
    ("publishing", "view_digestday"),
    ("publishing", "view_entry"),
    ("publishing", "change_entry"),
    ("publishing", "review_entry"),
    ("translations", "view_machinedraft"),
    ("translations", "view_revision"),
    ("translations", "add_revision"),
    ("translations", "view_glossaryterm"),
    ("translations", "add_glossaryterm"),
    ("translations", "change_glossaryterm"),
    ("translations", "view_papertext"),
]
CHIEF_EDITOR_PERMISSIONS = EDITOR_PERMISSIONS + [
    ("publishing", "publish_day"),
    ("translations", "delete_glossaryterm"),
]
GROUPS = {"Editor": EDITOR_PERMISSIONS, "Chief editor": CHIEF_EDITOR_PERMISSIONS}


def first_revisions(apps, schema_editor):
    MachineDraft = apps.get_model("translations", "MachineDraft")
    Revision = apps.get_model("translations", "Revision")
    Entry = apps.get_model("publishing", "Entry")
    with_text = set(Revision.objects.values_list("paper_id", flat=True))
    for draft in MachineDraft.objects.filter(status="succeeded").order_by("paper_id", "-id"):
        if draft.paper_id in with_text:
            continue
        Revision.objects.create(
            paper_id=draft.paper_id, number=1, changed_fields=[f for f in TEXT_FIELDS if getattr(draft, f)],
            comment=f"machine draft #{draft.pk}", from_draft_id=draft.pk,
            **{f: getattr(draft, f) for f in TEXT_FIELDS},
        )
        with_text.add(draft.paper_id)
    Entry.objects.filter(paper_id__in=with_text, state="awaiting_draft").update(state="in_review")


def roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in wanted
        ]
        group.permissions.set(permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0002_entry_review"),
        ("translations", "0002_revision"),
        ("papers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(first_revisions, migrations.RunPython.noop),
        migrations.RunPython(roles, migrations.RunPython.noop),
    ]
