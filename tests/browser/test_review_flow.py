"""End to end in a real browser: an Editor reviews the demo day in the admin.

Playwright drives Debian's Chromium (/usr/bin/chromium, installed by .ci/run); the test
skips, saying why, only where no Chromium can be had.
"""

from pathlib import Path

import pytest

from publishing.models import Entry
from tests.builders import demo_day_collected, demo_texts_recorded, user_in
from translations.models import Revision

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_day(db):
    day = demo_day_collected()
    demo_texts_recorded(day)
    user_in("Editor", "editor", password="correct horse battery")
    return day


# serialized_rollback: the roles made by a data migration survive other tests' flushes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editor_edits_saves_approves_and_sees_the_diff(browser_page, live_server, demo_day):
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse battery")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/publishing/digestday/{demo_day.pk}/review/")
    page.click("text=Phase-Aware Diffusion Vocoding for Low-Latency Speech Synthesis")
    abstract = page.locator("#id_abstract_zh")
    original = abstract.input_value()
    edited = original.replace("仅需四步去噪", "只需四步去噪")
    assert edited != original
    abstract.fill(edited)
    page.fill("#id_comment", "措辞")
    with page.expect_navigation():
        page.keyboard.press("Control+s")  # the keyboard alone: save…
    page.wait_for_selector("text=Saved revision 2.")

    with page.expect_navigation():
        page.keyboard.press("Control+Shift+Enter")  # …and approve
    entry = Entry.objects.get(paper__arxiv_id="2601.90008")
    assert entry.state == Entry.State.APPROVED and entry.approved_by.username == "editor"
    assert Revision.objects.get(paper=entry.paper, number=2).abstract_zh == edited

    page.goto(f"{live_server.url}/admin/publishing/entry/{entry.pk}/revisions/?a=r1&b=r2")
    diff = page.locator("#diff")
    deleted, inserted = diff.locator("del").first, diff.locator("ins").first
    assert deleted.evaluate("e => e.lastChild.textContent") == "仅"
    assert inserted.evaluate("e => e.lastChild.textContent") == "只"
    # Marked by more than colour: struck through, underlined, and a label only screen readers get.
    assert deleted.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
    assert inserted.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"
    label = deleted.locator(".visually-hidden")
    assert label.text_content() == "deleted" and label.bounding_box()["width"] <= 1
    assert "措辞" in page.locator("#revision-list").inner_text()
