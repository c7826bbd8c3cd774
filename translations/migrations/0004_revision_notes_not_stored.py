"""Revisions' machine notes ("machine draft #6", "restored revision 2", "adopted … from machine draft #7")
are no longer stored in `comment`, which keeps only what an editor wrote: the history page derives them
from `from_draft` / `restored_from` in the reader's language (translations.revisions.revision_note).

This empties the comments that are exactly such a note, written by the old code (and by publishing's
migration 0003, hence the dependency). It changes nothing else of any revision.
"""

import re

from django.db import migrations
from django.db.models import Q

RESTORED = re.compile(r"restored revision (\d+)")
FIRST_TEXT = re.compile(r"machine draft #(\d+)")
ADOPTED = re.compile(r"adopted [a-z_]+(?:, [a-z_]+)* from machine draft #(\d+)")


def is_machine_note(revision) -> bool:
    if revision.restored_from_id:
        match = RESTORED.fullmatch(revision.comment)
        return bool(match) and int(match[1]) == revision.restored_from.number
    for pattern in (FIRST_TEXT, ADOPTED):
        match = pattern.fullmatch(revision.comment)
        if match and int(match[1]) == revision.from_draft_id:
            return True
    return False


def machine_notes_emptied(apps, schema_editor):
    Revision = apps.get_model("translations", "Revision")
    candidates = (
        Revision.objects.exclude(comment="")
        .filter(Q(from_draft__isnull=False) | Q(restored_from__isnull=False))
        .select_related("restored_from")
    )
    noted = [revision.pk for revision in candidates if is_machine_note(revision)]
    Revision.objects.filter(pk__in=noted).update(comment="")


class Migration(migrations.Migration):
    dependencies = [
        ("translations", "0003_draft_handouts"),
        ("publishing", "0003_entry_texts_and_roles"),
    ]

    operations = [migrations.RunPython(machine_notes_emptied, migrations.RunPython.noop)]
