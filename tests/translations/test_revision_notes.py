"""Revisions' machine notes are derived when shown, not stored; the old stored English notes are emptied."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from tests.builders import paper_build, user_in
from translations.models import MachineDraft, Revision
from translations.revisions import revision_note

notes_migration = importlib.import_module("translations.migrations.0004_revision_notes_not_stored")


@pytest.fixture
def paper(db):
    return paper_build()


def draft(paper) -> MachineDraft:
    return MachineDraft.objects.create(paper=paper, paper_version=1, status="succeeded", title_zh="标题")


def revision(paper, number, **fields) -> Revision:
    return Revision.objects.create(paper=paper, number=number, title_zh=f"标题 {number}", **fields)


def test_old_machine_notes_are_emptied_and_editors_comments_kept(paper):
    editor = user_in("Editor", "editor")
    first, second = draft(paper), draft(paper)
    rows = [
        revision(paper, 1, from_draft=first, comment=f"machine draft #{first.pk}", changed_fields=["title_zh"]),
        revision(paper, 2, author=editor, comment="措辞更顺", changed_fields=["title_zh"]),
        revision(paper, 3, author=editor, from_draft=second, changed_fields=["title_zh"],
                 comment=f"adopted title_zh, method_md from machine draft #{second.pk}"),
        revision(paper, 4, author=editor, comment="restored revision 1", changed_fields=["title_zh"]),
    ]
    rows.append(revision(paper, 5, author=editor, restored_from=rows[0], comment="restored revision 1",
                         changed_fields=["title_zh"]))
    rows.append(revision(paper, 6, author=editor, from_draft=first, comment=f"machine draft #{second.pk}",
                         changed_fields=["title_zh"]))

    notes_migration.machine_notes_emptied(apps, None)

    comments = list(Revision.objects.filter(paper=paper).order_by("number").values_list("comment", flat=True))
    # Kept: an editor's comment; a note-like comment without the link it speaks of, or naming another draft.
    assert comments == ["", "措辞更顺", "", "restored revision 1", "", f"machine draft #{second.pk}"]


def test_a_note_is_in_the_active_language_and_an_editors_save_has_none(paper):
    editor = user_in("Editor", "editor")
    machine = draft(paper)
    first = revision(paper, 1, from_draft=machine, changed_fields=["title_zh"])
    adopted = revision(paper, 2, author=editor, from_draft=machine, changed_fields=["title_zh", "method_md"])
    restored = revision(paper, 3, author=editor, restored_from=first, changed_fields=["title_zh"])
    saved = revision(paper, 4, author=editor, changed_fields=["title_zh"])
    with translation.override("en"):
        assert revision_note(first) == f"machine draft #{machine.pk}"
        assert revision_note(adopted) == f"adopted Chinese title, method from machine draft #{machine.pk}"
        assert revision_note(restored) == "restored revision 1"
        assert revision_note(saved) == ""
    with translation.override("zh-hans"):
        assert "中文标题" in revision_note(adopted) and "核心方法" in revision_note(adopted)
