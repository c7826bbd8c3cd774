"""In a real browser, in Chinese: an editor opens an entry's review page and finds, beside the text, the
glossary terms the paper uses with their renderings, forbidden forms and notes."""

import pytest
from django.contrib.auth.models import User

from publishing.days.pipeline import day_start_drafting
from publishing.review.services import entry_approve
from tests.builders import demo_day_collected, demo_texts_recorded, user_in
from translations.models import GlossaryTerm
from translations.revisions import revision_save, text_current

SCREENSHOT = "/tmp/test_cat_glossary_panel.png"
DAY_SCREENSHOT = "/tmp/test_cat_day_review.png"
PREVIEW_SCREENSHOT = "/tmp/test_cat_publish_preview.png"


@pytest.fixture
def demo_day(db):
    day = demo_day_collected()
    demo_texts_recorded(day)
    user_in("Editor", "editor", password="correct horse battery")
    GlossaryTerm.objects.create(term="vocoder", rendering="声码器", forbidden=["语音编码器"],
                                note="不要译成“语音编码器”")
    GlossaryTerm.objects.create(term="group delay", rendering="群时延")
    GlossaryTerm.objects.create(term="beamforming", rendering="波束成形")
    return day


# serialized_rollback: the roles made by a data migration survive other tests' flushes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_entry_review_page_shows_the_glossary_panel(chromium, live_server, demo_day):
    browser, expect = chromium
    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse battery")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/publishing/digestday/{demo_day.pk}/review/")
    page.screenshot(path=DAY_SCREENSHOT, full_page=True)
    page.click("text=面向低延迟语音合成的相位感知扩散声码器")  # the day's list shows the Chinese title
    panel = page.locator("#glossary-panel")
    expect(panel).to_contain_text("本文用到的术语")
    vocoder = panel.locator("tr.glossary-term", has_text="vocoder")
    expect(vocoder.locator(".term-rendering")).to_have_text("声码器")
    expect(vocoder.locator(".term-forbidden")).to_have_text("语音编码器")
    expect(vocoder).to_contain_text("不要译成")
    # The demo draft writes 群延迟: the panel says the glossary's rendering is not in the text.
    expect(panel.locator("tr.glossary-term", has_text="group delay")).to_contain_text("译文中没有")
    expect(panel).not_to_contain_text("beamforming")
    assert panel.is_visible() and panel.bounding_box()["width"] > 300
    panel.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_publish_preview_shows_chinese_titles_and_marks_an_approval_despite_errors(chromium, live_server, demo_day):
    browser, expect = chromium
    editor = User.objects.get(username="editor")
    chief = user_in("Chief editor", "chief", password="correct horse battery")
    entries = list(demo_day.entries.select_related("paper").order_by("position"))
    day_start_drafting(day=demo_day, enqueue=False)
    current = text_current(entries[0].paper)
    revision_save(paper=entries[0].paper, author=editor, base_number=current.number,
                  text={"abstract_zh": "$T_{60" + current.abstract_zh})  # a lone $: a check error
    for entry in entries:
        entry_approve(entry=entry, user=editor, despite_errors=True)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", chief.username)
    page.fill("#id_password", "correct horse battery")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/publishing/digestday/{demo_day.pk}/publish/")
    first = page.locator(f"[id=\"change-{entries[0].paper.arxiv_id}\"]")
    expect(first.locator(".change-title-zh")).to_have_text("面向低延迟语音合成的相位感知扩散声码器")
    expect(first.locator(".change-title-en")).to_have_text("Phase-Aware Diffusion Vocoding for Low-Latency Speech Synthesis")
    expect(first.locator(".preview-despite")).to_contain_text("不顾错误批准")
    expect(page.locator("#approved-despite-errors")).to_contain_text("此版本中有 1 篇论文是在检查有错误的情况下批准的")
    assert page.locator(".preview-despite").count() == 1  # the others passed their checks
    page.screenshot(path=PREVIEW_SCREENSHOT, full_page=True)
    page.close()
