"""The shared Chinese text of drafts and revisions, and the one way to a paper's newest draft."""

from io import StringIO

from django.core.management import call_command

from tests.builders import paper_build
from translations.models import ChineseText, MachineDraft, Revision

TEXT = {"title_zh": "标题", "abstract_zh": "摘要", "background_md": "- 背景", "method_md": "- 方法", "results_md": "- 结果"}


def test_drafts_and_revisions_keep_the_same_five_text_fields(db):
    paper = paper_build()
    draft = MachineDraft.objects.create(paper=paper, paper_version=1, status="succeeded", **TEXT)
    revision = Revision.objects.create(paper=paper, number=1, **draft.text())
    assert MachineDraft.TEXT_FIELDS == Revision.TEXT_FIELDS == ChineseText.TEXT_FIELDS == tuple(TEXT)
    assert draft.text() == revision.text() == TEXT
    assert revision.reading_sections == draft.reading_sections == ["- 背景", "- 方法", "- 结果"]


def test_the_shared_text_model_needs_no_migration(db):
    out = StringIO()
    call_command("makemigrations", "translations", check=True, dry_run=True, stdout=out)  # exits 1 on changes
    assert "No changes detected" in out.getvalue()


def test_newest_draft_is_the_last_one_added_whatever_its_status(db):
    paper = paper_build()
    assert paper.machine_drafts.newest() is None
    MachineDraft.objects.create(paper=paper, paper_version=1, status="succeeded", **TEXT)
    failed = MachineDraft.objects.create(paper=paper, paper_version=1, status="failed", error="timeout")
    assert paper.machine_drafts.newest() == failed


def test_newest_succeeded_draft_skips_a_later_failure_and_other_papers(db):
    paper, other = paper_build(), paper_build("2601.05012")
    succeeded = MachineDraft.objects.create(paper=paper, paper_version=1, status="succeeded", **TEXT)
    MachineDraft.objects.create(paper=paper, paper_version=1, status="failed", error="timeout")
    MachineDraft.objects.create(paper=other, paper_version=1, status="succeeded", **TEXT)
    assert paper.machine_drafts.succeeded().newest() == succeeded
    assert paper_build("2601.05013").machine_drafts.succeeded().newest() is None
