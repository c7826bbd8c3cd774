"""The review pages as a CAT tool: the glossary terms a paper uses beside its text, the Chinese titles
in the day's list, and a publish preview in Chinese that marks entries approved despite check errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing.posts.preview import publication_preview
from publishing.review.pages import day_review_page, entry_review_page
from publishing.review.services import entry_approve
from tests.builders import approve_all, demo_day_collected, demo_texts_recorded
from translations.checks import check_named
from translations.models import GlossaryTerm
from translations.revisions import revision_save, text_current

VOCODER_TITLE_ZH = "面向低延迟语音合成的相位感知扩散声码器"


@pytest.fixture
def entries(db, django_capture_on_commit_callbacks):
    day = demo_day_collected()
    with django_capture_on_commit_callbacks(execute=True):
        demo_texts_recorded(day)
    return list(day.entries.select_related("paper", "day").order_by("position"))


@pytest.fixture
def glossary(db):
    """Terms of the vocoder paper (2601.90008, position 1) and one it does not use."""
    GlossaryTerm.objects.create(term="vocoder", rendering="声码器", forbidden=["语音编码器"], variants=["neural vocoder"],
                                note="不要译成“语音编码器”（那是 speech codec）")
    GlossaryTerm.objects.create(term="speech synthesis", rendering="语音合成", variants=["TTS"])
    GlossaryTerm.objects.create(term="LibriTTS", kind=GlossaryTerm.Kind.KEEP_ENGLISH)
    GlossaryTerm.objects.create(term="group delay", rendering="群时延")
    GlossaryTerm.objects.create(term="beamforming", rendering="波束成形")


def test_the_entry_page_lists_the_glossary_terms_the_papers_english_uses(entries, glossary):
    page = entry_review_page(entry=entries[0])
    assert [term.source for term in page.glossary_terms] == ["group delay", "LibriTTS", "speech synthesis", "vocoder"]
    vocoder = page.glossary_terms[-1]
    assert (vocoder.rendering, vocoder.forbidden, vocoder.variants, vocoder.in_text) == (
        "声码器", ("语音编码器",), ("neural vocoder",), True)
    assert vocoder.note.startswith("不要译成") and vocoder.term_id == GlossaryTerm.objects.get(term="vocoder").pk
    kept = page.glossary_terms[1]
    assert (kept.keep_english, kept.in_text) == (True, True)
    # The demo draft writes 群延迟, not the glossary's 群时延: the panel says the rendering is missing.
    assert page.glossary_terms[0].in_text is False


def test_the_entry_review_page_shows_the_glossary_panel(client, entries, glossary, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:publishing_entry_review", args=[entries[0].pk])).content.decode()
    panel = page[page.index('id="glossary-panel"'):page.index("</table>", page.index('id="glossary-panel"'))]
    assert "本文用到的术语" in panel
    assert "声码器" in panel and "语音编码器" in panel and "neural vocoder" in panel and "不要译成" in panel
    assert "保留英文" in panel and "译文中没有" in panel and "波束成形" not in panel


def test_the_entry_page_without_glossary_terms_shows_no_panel(client, entries, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:publishing_entry_review", args=[entries[0].pk])).content.decode()
    assert entry_review_page(entry=entries[0]).glossary_terms == [] and 'id="glossary-panel"' not in page


def test_the_day_review_list_shows_the_chinese_titles(client, entries, editor):
    page = day_review_page(day=entries[0].day)
    assert page.rows[0].title_zh == VOCODER_TITLE_ZH
    client.force_login(editor)
    html = client.get(reverse("admin:publishing_digestday_review", args=[entries[0].day.pk])).content.decode()
    assert f'<span class="title-zh" lang="zh-Hans">{VOCODER_TITLE_ZH}</span>' in html
    assert "Phase-Aware Diffusion Vocoding for Low-Latency Speech Synthesis" in html  # the English below it


def test_the_day_review_list_of_entries_awaiting_drafts_shows_the_english_title(db):
    page = day_review_page(day=demo_day_collected())
    assert {row.title_zh for row in page.rows} == {""}


def break_tex(entry, editor, capture):
    current = text_current(entry.paper)
    with capture(execute=True):
        revision_save(paper=entry.paper, author=editor, base_number=current.number,
                      text={"abstract_zh": "$T_{60" + current.abstract_zh})


def test_the_publish_preview_lists_papers_by_chinese_title_and_marks_approvals_despite_errors(
    client, published_day, editor, chief, django_capture_on_commit_callbacks
):
    entry = published_day.entries.select_related("paper").get(position=1)
    break_tex(entry, editor, django_capture_on_commit_callbacks)  # back to review, with a lone $
    entry_approve(entry=entry, user=editor, despite_errors=True)
    preview = publication_preview(day=published_day)
    tex = (str(check_named("tex_mismatch").name),)
    (change,) = preview.changes
    assert (change.kind, change.title_zh, change.approved_despite) == ("changed", VOCODER_TITLE_ZH, tex)
    assert preview.approved_despite == [(entry.paper.arxiv_id, VOCODER_TITLE_ZH, tex)]

    client.force_login(chief)
    html = client.get(reverse("admin:publishing_digestday_publish", args=[published_day.pk])).content.decode()
    assert f'<span class="change-title-zh" lang="zh-Hans">{VOCODER_TITLE_ZH}</span>' in html
    assert 'id="approved-despite-errors"' in html and "1 篇论文是在检查有错误的情况下批准的" in html
    assert 'class="preview-despite"' in html
    # The list's publish action shows the same mark for each chosen day before acting.
    confirm = client.post(reverse("admin:publishing_digestday_changelist"),
                          {"action": "publish_days", "_selected_action": [published_day.pk]}).content.decode()
    assert 'class="errornote approved-despite-errors"' in confirm and VOCODER_TITLE_ZH in confirm


def test_the_publish_preview_of_a_first_version_shows_each_added_papers_chinese_text(drafted_day, editor):
    approve_all(drafted_day, editor)
    preview = publication_preview(day=drafted_day)
    assert {change.kind for change in preview.changes} == {"added"} and preview.approved_despite == []
    first = preview.changes[0]
    assert (first.title_zh, first.approved_despite) == (VOCODER_TITLE_ZH, ())
    assert first.abstract_zh.startswith("基于扩散的神经声码器")
