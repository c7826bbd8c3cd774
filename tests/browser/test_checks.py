"""End to end in a real browser: an editor finds in the translation memory the sentence approved over a
check error (held, not reused) and confirms it, in the Chinese admin.

Playwright drives Debian's Chromium (/usr/bin/chromium); the test skips, saying why, only where no
Chromium can be had.
"""

import pytest

from publishing.review.services import entry_approve
from tests.builders import demo_day_collected, demo_texts_recorded, user_in
from translations.models import GlossaryTerm, MemoryUnit
from translations.revisions import revision_save, text_current

WRONG = "我们让潜在扩散模型同时以和弦图表和文本为条件，通过与节拍对齐的和弦编码器注入和弦信息。"


@pytest.fixture
def approved_over_an_error(db):
    day = demo_day_collected()
    demo_texts_recorded(day)
    editor = user_in("Editor", "editor", password="correct horse battery")
    GlossaryTerm.objects.create(term="chord chart", kind=GlossaryTerm.Kind.PREFERRED, rendering="和弦谱",
                                forbidden=["和弦图表"])
    entry = day.entries.select_related("paper").get(paper__arxiv_id="2601.90003")
    current = text_current(entry.paper)
    first, _second, third = [sentence + "。" for sentence in current.abstract_zh.split("。") if sentence]
    revision_save(paper=entry.paper, author=editor, base_number=current.number,
                  text={"abstract_zh": first + WRONG + third})
    entry_approve(entry=entry, user=editor, despite_errors=True)
    return MemoryUnit.objects.get(target=WRONG)


# serialized_rollback: the roles made by a data migration survive other tests' flushes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_editor_finds_the_held_sentence_and_confirms_it(chromium, live_server, approved_over_an_error):
    browser, expect = chromium
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse battery")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/translations/memoryunit/")
    page.click("#changelist-filter >> text=否")  # 可复用: 否
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("和弦图表")
    expect(rows.first).to_contain_text("使用了禁用译法")  # the check it was approved over, by name
    page.screenshot(path="/tmp/checks-memory-held.png", full_page=True)

    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "confirm_units")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("已确认 1 个单元")
    approved_over_an_error.refresh_from_db()
    assert approved_over_an_error.reusable and approved_over_an_error.confirmed_by.username == "editor"
