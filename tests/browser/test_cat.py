"""In a real browser, in Chinese: an editor opens an entry's review page and finds, beside the text, the
glossary terms the paper uses with their renderings, forbidden forms and notes."""

import pytest

from tests.builders import demo_day_collected, demo_texts_recorded, user_in
from translations.models import GlossaryTerm

SCREENSHOT = "/tmp/test_cat_glossary_panel.png"


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
