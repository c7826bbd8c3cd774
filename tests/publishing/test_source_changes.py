"""New arXiv versions of papers already approved or published (issue 12, part 6): a fetch marks the
entry when the English changed, the review page shows the diff, approving again clears it."""

import datetime as dt
from pathlib import Path

from django.urls import reverse

from papers.models import Paper
from papers.services import PaperBefore
from publishing.models import Entry, SourceChange
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve, entry_reopen
from publishing.review.source_changes import newer_versions_of, source_change_record, source_changes_dismiss
from tests.builders import DEMO_DATE, DEMO_FEED, collect_single, edit
from tests.openai_stub import GOOD_DRAFT, draft_reply
from tests.translations.test_drafting import llm  # noqa: F401 (fixture)
from translations.models import MachineDraft
from translations.segments import split_chinese
from translations.services import draft_run

OLD_SENTENCE = "A causal convolutional backbone keeps the algorithmic latency at 12 ms."
NEW_SENTENCE = "A causal convolutional backbone keeps the algorithmic latency at 8 ms."


def replaced_feed(tmp_path: Path) -> str:
    """The demo feed a few days later: 2601.90008 is v2 with one abstract sentence edited; 2601.90007
    is v2 with only its version and dates changed (a replacement that changes no English)."""
    text = Path(DEMO_FEED).read_text()
    assert OLD_SENTENCE.replace(" at 12", "\nat 12") in text or OLD_SENTENCE in text.replace("\n", " ")
    text = text.replace("latency at 12 ms", "latency at 8 ms")
    for arxiv_id in ("2601.90008", "2601.90007"):
        text = text.replace(f"{arxiv_id}v1", f"{arxiv_id}v2")
    text = text.replace("<updated>2026-01-07T17:42:10Z</updated>", "<updated>2026-01-10T09:00:00Z</updated>", 1)
    text = text.replace("<updated>2026-01-07T15:05:33Z</updated>", "<updated>2026-01-10T10:00:00Z</updated>", 1)
    path = tmp_path / "arxiv-api-replaced.xml"
    path.write_text(text)
    return str(path)


def fetch_later(tmp_path):
    return collect_single(date=DEMO_DATE + dt.timedelta(days=3), source="file", files=[replaced_feed(tmp_path)])


def entry_of(day, arxiv_id) -> Entry:
    return day.entries.select_related("paper", "day").get(paper__arxiv_id=arxiv_id)


def test_a_new_version_with_edited_abstract_marks_the_published_entry_and_only_that(published_day, tmp_path):
    fetch_later(tmp_path)
    changed, dates_only = entry_of(published_day, "2601.90008"), entry_of(published_day, "2601.90007")
    assert (changed.paper.version, dates_only.paper.version) == (2, 2)
    mark = SourceChange.objects.get()
    assert mark.entry == changed and (mark.old_version, mark.new_version) == (1, 2)
    assert mark.changed_fields == ["abstract"] and mark.was_published
    assert "12 ms" in mark.old_abstract and "8 ms" in mark.new_abstract
    assert newer_versions_of(published_day) == {"published": [changed], "approved": []}
    # The same fetch again marks nothing more.
    fetch_later(tmp_path)
    assert SourceChange.objects.count() == 1


def test_an_approved_entry_not_published_is_marked_too_and_a_draft_in_review_is_not(drafted_day, editor):
    approved, in_review = list(drafted_day.entries.select_related("paper")[:2])
    entry_approve(entry=approved, user=editor)
    for entry in (approved, in_review):
        before = PaperBefore(entry.paper.version, entry.paper.title, entry.paper.abstract, entry.paper.comment)
        Paper.objects.filter(pk=entry.paper_id).update(version=2, title=entry.paper.title + " (revised)")
        entry.paper.refresh_from_db()
        source_change_record(paper=entry.paper, previous=before)
    mark = SourceChange.objects.get()
    assert mark.entry == approved and mark.changed_fields == ["title"] and not mark.was_published
    assert newer_versions_of(drafted_day) == {"published": [], "approved": [approved]}


def test_white_space_alone_is_no_change(drafted_day, editor):
    entry = drafted_day.entries.select_related("paper").first()
    entry_approve(entry=entry, user=editor)
    paper = entry.paper
    before = PaperBefore(paper.version, paper.title, paper.abstract, paper.comment)
    paper.version, paper.abstract = 2, "  " + paper.abstract.replace(" ", "\n ")
    assert source_change_record(paper=paper, previous=before) == []


def test_the_pages_show_the_mark_and_the_english_diff(published_day, tmp_path, client, chief):
    fetch_later(tmp_path)
    client.force_login(chief)
    day_page = client.get(reverse("admin:publishing_digestday_review", args=[published_day.pk]),
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 published paper has a newer version on arXiv." in day_page
    change_page = client.get(reverse("admin:publishing_digestday_change", args=[published_day.pk]),
                             HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 published paper has a newer version on arXiv" in change_page
    entry = entry_of(published_day, "2601.90008")
    page = client.get(reverse("admin:publishing_entry_review", args=[entry.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert 'id="source-changed"' in html and "arXiv posted version 2" in html
    assert "12</del>" in html and "8</ins>" in html
    assert 'name="_source_redraft"' in html


def test_a_correction_clears_the_mark_and_publishing_makes_a_new_version(
    published_day, tmp_path, editor, chief, django_capture_on_commit_callbacks
):
    fetch_later(tmp_path)
    entry = entry_of(published_day, "2601.90008")
    entry_reopen(entry=entry, user=editor)
    edit(entry, editor, django_capture_on_commit_callbacks, abstract_zh="改正后的摘要：延迟为 8 毫秒。")
    entry_approve(entry=entry, user=editor)
    mark = SourceChange.objects.get()
    assert mark.resolved_at is not None and mark.resolved_by == editor and mark.resolution == "approved"
    assert newer_versions_of(published_day) == {"published": [], "approved": []}
    with django_capture_on_commit_callbacks(execute=True):
        result = day_publish(day=published_day, user=chief, correction_note="arXiv v2: latency corrected")
    assert result.publication.version == 2
    assert "8 毫秒" in result.publication.markdown


def test_dismissing_keeps_the_approved_text(published_day, tmp_path, editor):
    fetch_later(tmp_path)
    entry = entry_of(published_day, "2601.90008")
    assert source_changes_dismiss(entry=entry, user=editor) == 1
    assert SourceChange.objects.get().resolution == "dismissed"
    entry.refresh_from_db()
    assert entry.state == Entry.State.APPROVED


def test_drafting_the_changed_sentences_reuses_the_approved_ones(
    published_day, tmp_path, client, editor, llm, django_capture_on_commit_callbacks  # noqa: F811
):
    entry = entry_of(published_day, "2601.90008")
    approved_abstract = entry.approved_revision.abstract_zh
    fetch_later(tmp_path)
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("admin:publishing_entry_review", args=[entry.pk]), {"_source_redraft": "1"})
    assert response.status_code == 302
    draft = MachineDraft.objects.get(paper=entry.paper, status=MachineDraft.Status.QUEUED)
    assert draft.paper_version == 2
    llm.queue.append(draft_reply({**GOOD_DRAFT, "abstract_zh": "模型一。模型二。模型三：延迟为 8 毫秒。模型四。"}))
    with django_capture_on_commit_callbacks(execute=True):
        draft_run(draft_id=draft.pk)
    draft.refresh_from_db()
    approved = split_chinese(approved_abstract)
    assert split_chinese(draft.abstract_zh) == [approved[0], approved[1], "模型三：延迟为 8 毫秒。", approved[3]]
    marker = next(w for w in draft.warnings if w["kind"] == "memory_exact")
    assert [s["sentence"] for s in marker["segments"] if s["field"] == "abstract_zh"] == [1, 2, 4]


def test_the_front_page_lists_a_published_day_with_newer_versions(published_day, tmp_path, client, editor):
    client.force_login(editor)
    before = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="front-day-2026-01-09"' not in before
    fetch_later(tmp_path)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page.split('id="front-day-2026-01-09"')[1].split("</tr>")[0]
    assert "1 published paper has a newer version on arXiv." in row
