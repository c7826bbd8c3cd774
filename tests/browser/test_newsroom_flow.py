"""End to end in a real browser, in Chinese: a day goes from review to version 2 on the public site.

Two editors and a chief editor, each in their own browser (context), join with the links
`add_editor` prints; the editors review the demo day (save and next, a stale save refused),
the chief editor acknowledges the day's stale-feed flag, approves the rest, publishes, and
publishes again after an editor corrects a title.

A full-page screenshot is taken after each step into newsroom-flow/ in pytest's temporary folder
(/tmp/pytest-of-<user>/pytest-<n>/…, kept for the last three runs; the test prints where). Playwright
drives Debian's Chromium (tests/browser/conftest.py); the test skips, saying why, only where no
Chromium can be had.
"""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from public.page_cache import public_cache_clear
from publishing.days.pipeline import day_start_drafting
from publishing.days.services import day_flag_attention
from publishing.models import DigestDay, Entry
from tests.builders import DEMO_DATE, demo_day_collected, demo_texts_recorded
from translations.models import Revision

DAY = f"{DEMO_DATE:%Y-%m-%d}"
STALE_FEED = (
    "arXiv announced new papers on Thu 2026-01-08 20:00 US Eastern, but this fetch found none of them; "
    "the source may be stale. Fetch again later; if arXiv skipped that announcement, add its date under "
    "arXiv holidays in the admin (or to DIGEST_ARXIV_HOLIDAYS)."
)
# As editors read it: in Chinese, at the site's time, with the US Eastern date a holiday is entered by.
STALE_FEED_SHOWN = (
    "arXiv 已于 2026-01-09 09:00（本站时间）公布新论文，但这次抓取一篇也没有拿到：数据源可能过时。请稍后再抓取；"
    "如果 arXiv 跳过了那次公布，请在“arXiv 假日”中添加其美东日期 2026-01-08（或写进 DIGEST_ARXIV_HOLIDAYS）。"
)


class Screenshots:
    """NN-step-name.png, numbered in the order taken."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder, self.taken = folder, []

    def __call__(self, page, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path.name)


def added_with_link(username: str, role: str, site_url: str) -> str:
    """`add_editor` as an administrator runs it; the one-time link it prints."""
    out = io.StringIO()
    call_command("add_editor", username, "--role", role, stdout=out)
    printed = out.getvalue().split()
    assert printed[0] == "Created" and printed[-1].startswith(f"{site_url}/admin/set-password/")
    return printed[-1]


def joined(browser, expect, link: str, site_url: str, name: str, shot=None):
    """A new person's own browser (Chinese): open the link, choose a password, land in the admin logged in."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(link)  # Django swaps the token for a session and redirects to the form
    page.wait_for_selector("#id_new_password1")
    page.fill("#id_new_password1", "Lantern-orbit-5823")
    page.fill("#id_new_password2", "Lantern-orbit-5823")
    if shot:
        shot(page, f"{name}-set-password")
    with page.expect_navigation():
        page.click("input[type=submit][value='保存密码']")
    page.wait_for_url(f"{site_url}/admin/")
    expect(page.locator(".messagelist")).to_have_text("密码已设置，欢迎来到编辑部。")
    expect(page.locator("#user-tools")).to_contain_text(name)
    # The link worked once.
    again = context.new_page()
    again.goto(link)
    expect(again.locator("#content")).to_contain_text("这个链接已经用过或已过期")
    again.close()
    return page


# serialized_rollback: the roles made by a data migration survive other tests' flushes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_newsroom_reviews_acknowledges_publishes_and_corrects(chromium, live_server, settings, capsys,
                                                              tmp_path_factory):
    browser, expect = chromium
    url = live_server.url
    settings.DIGEST_SITE_URL = url  # the links add_editor prints point at this server
    settings.DIGEST_PUBLIC_RECHECK_SECONDS = 0  # the public pages ask which version is live on every request
    public_cache_clear()
    artifacts = tmp_path_factory.getbasetemp() / "newsroom-flow"
    shot = Screenshots(artifacts)

    # 1. The demo day collected, its texts recorded: six entries in review; the feed looked stale.
    day = demo_day_collected()
    demo_texts_recorded(day)
    day_start_drafting(day=day, enqueue=False)  # every paper has its text: the day goes to review
    day.refresh_from_db()
    assert day.status == DigestDay.Status.IN_REVIEW
    entries = list(day.entries.select_related("paper").order_by("position"))
    assert [entry.state for entry in entries] == [Entry.State.IN_REVIEW] * 6
    day_flag_attention(day=day, step="collect", reason=STALE_FEED)
    first, second, third, fourth = entries[:4]

    # 2. Accounts made with the real command; each person sets a password through their link.
    editor_link = added_with_link("editor", "editor", url)
    editor2_link = added_with_link("editor2", "editor", url)
    chief_link = added_with_link("chief", "chief", url)
    editor = joined(browser, expect, editor_link, url, "editor", shot)

    # 3. The editor's front page: the day at work, flagged, with the reason.
    front = editor.locator("#front-page")
    expect(front.locator("h2")).to_have_text("进行中的日期")
    row = editor.locator(f"#front-day-{DAY}")
    expect(row).to_contain_text("需要处理")
    expect(row).to_contain_text("待初稿 0 · 审校中 6 · 已通过 0 · 已拒绝 0（共 6）")
    expect(row.locator(".errornote")).to_have_text(STALE_FEED_SHOWN)
    # The reason wraps within the window (the dashboard's one-line cells are for the app list).
    assert editor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(editor, "editor-front-page")

    # 4. Review with "Save and next": edit the first entry's Chinese title, go on, approve the second.
    row.locator("a").click()
    editor.wait_for_url(f"{url}/admin/publishing/digestday/{day.pk}/review/")
    with editor.expect_navigation():
        editor.click(f"#day-entries a[href$='/entry/{first.pk}/review/']")
    title = editor.locator("#id_title_zh")
    assert title.input_value() == "面向低延迟语音合成的相位感知扩散声码器"
    title.fill("面向低延迟语音合成的相位感知扩散式声码器")
    editor.fill("#id_comment", "“扩散式”更通顺")
    shot(editor, "editor-edits-first-title")
    with editor.expect_navigation():
        editor.keyboard.press("Control+Enter")  # save and next
    editor.wait_for_url(f"{url}/admin/publishing/entry/{second.pk}/review/")
    expect(editor.locator(".messagelist")).to_have_text("已保存修订 2。")
    expect(editor.locator("#entry-state")).to_have_text("审校中")
    shot(editor, "editor-saved-and-next")
    with editor.expect_navigation():
        editor.click("input[name=_approve]")  # 保存并通过: on to the next one to review
    editor.wait_for_url(f"{url}/admin/publishing/entry/{third.pk}/review/")
    expect(editor.locator(".messagelist")).to_have_text(f"已通过 {second.paper.arxiv_id}。")
    shot(editor, "editor-approved-second")
    first.refresh_from_db(), second.refresh_from_db()
    assert first.state == Entry.State.IN_REVIEW and first.paper.revisions.get(number=2).author.username == "editor"
    assert second.state == Entry.State.APPROVED and second.approved_by.username == "editor"

    # 5. Two editors on the third entry: the editor saves first, editor2's save from revision 1 is refused.
    editor2 = joined(browser, expect, editor2_link, url, "editor2")
    editor2.goto(f"{url}/admin/publishing/entry/{third.pk}/review/")
    their_title = "基于混响语音的自监督房间脉冲响应估计"
    editor2.fill("#id_title_zh", their_title)
    abstract = editor.locator("#id_abstract_zh")
    edited_abstract = abstract.input_value().replace("需要专门设备", "需要专用设备")
    assert edited_abstract != abstract.input_value()
    abstract.fill(edited_abstract)
    with editor.expect_navigation():
        editor.keyboard.press("Control+s")
    expect(editor.locator(".messagelist")).to_have_text("已保存修订 2。")
    with editor2.expect_navigation():
        editor2.click("input[name=_save]")
    refusal = editor2.locator("#entry-review-form > .errornote")
    expect(refusal).to_contain_text("未保存：editor 在 ")
    expect(refusal).to_contain_text("保存了修订 2（你打开的是修订 1），改动了：中文摘要。你的文本仍在表单中；请比较后再保存。")
    assert editor2.locator("#id_title_zh").input_value() == their_title
    shot(editor2, "editor2-stale-save-refused")
    assert Revision.objects.filter(paper=third.paper).count() == 2
    assert Revision.objects.get(paper=third.paper, number=2).abstract_zh == edited_abstract
    # As the message says: compare (take the editor's abstract, shown in the diff) and save again.
    editor2.fill("#id_abstract_zh", edited_abstract)
    with editor2.expect_navigation():
        editor2.click("input[name=_save]")
    expect(editor2.locator(".messagelist")).to_have_text("已保存修订 3。")
    saved = Revision.objects.get(paper=third.paper, number=3)
    assert (saved.author.username, saved.title_zh, saved.abstract_zh) == ("editor2", their_title, edited_abstract)
    shot(editor2, "editor2-saved-again")

    # 6. The chief editor acknowledges the stale-feed flag, with a reason.
    chief = joined(browser, expect, chief_link, url, "chief")
    chief.goto(f"{url}/admin/publishing/digestday/{day.pk}/review/")
    expect(chief.locator("#content-main .errornote").first).to_have_text(STALE_FEED_SHOWN)
    expect(chief.locator("#flag-history")).to_contain_text(STALE_FEED_SHOWN)
    chief.fill("#id_reason", "arXiv 当天照常发布，抓取源稍后已更新；今天的论文齐全。")
    shot(chief, "chief-acknowledges-flag")
    with chief.expect_navigation():
        chief.click("input[name=_acknowledge]")
    expect(chief.locator(".messagelist")).to_have_text("已确认标记：这一天重新处于“审校中”。")
    assert chief.locator("#day-acknowledge-form").count() == 0
    shot(chief, "chief-flag-acknowledged")

    # 7. The rest approved in bulk, then published: version 1, six papers added, on the public page.
    for entry in day.entries.filter(state=Entry.State.IN_REVIEW).select_related("paper"):
        chief.check(f"#day-review-form input[aria-label='{entry.paper.arxiv_id}']")
    with chief.expect_navigation():
        chief.click("#day-review-form input[name=_approve]")
    expect(chief.locator(".messagelist")).to_have_text("已处理 5 个条目。")
    assert not day.entries.exclude(state=Entry.State.APPROVED).exists()
    shot(chief, "chief-approved-the-rest")
    with chief.expect_navigation():
        chief.locator("#day-publish-links").get_by_role("link", name="发布…", exact=True).click()
    chief.wait_for_url(f"{url}/admin/publishing/digestday/{day.pk}/publish/")
    expect(chief.locator("#publish-summary")).to_contain_text("发布将生成第 1 版，共 6 篇。")
    expect(chief.locator("#content-main")).to_contain_text("新增 6 篇，移除 0 篇，更改 0 篇，未变 0 篇。")
    expect(chief.locator(".preview-change .preview-kind")).to_have_text(["新增"] * 6)
    shot(chief, "chief-publish-preview-v1")
    with chief.expect_navigation():
        chief.click("#publish-confirm-form input[name=_confirm]")
    chief.wait_for_url(f"{url}/admin/publishing/digestday/{day.pk}/review/")
    expect(chief.locator(".messagelist")).to_have_text("已发布第 1 版（6 篇）。")
    expect(chief.locator("#content-main")).to_contain_text("读者看到的是第 1 版。")
    shot(chief, "chief-published-v1")
    with chief.expect_navigation():
        chief.get_by_role("link", name="公开页面").click()
    chief.wait_for_url(f"{url}/days/{DAY}/")
    expect(chief.locator("h1")).to_have_text(f"arXiv Daily – {DAY}")
    expect(chief.locator("article.post")).to_contain_text(edited_abstract[:40])  # the approved revision 2
    expect(chief.locator("article.post")).to_contain_text(second.paper.title)
    shot(chief, "public-day-v1")

    # 8. A correction: the editor changes an approved title and approves it; the chief publishes version 2.
    editor.goto(f"{url}/admin/publishing/entry/{fourth.pk}/review/")
    expect(editor.locator("#entry-state")).to_have_text("已通过")
    corrected = "复调民间音乐中的乐器识别基准"
    editor.fill("#id_title_zh", corrected)
    with editor.expect_navigation():
        editor.keyboard.press("Control+s")  # approved text edited: back to review
    expect(editor.locator("#entry-state")).to_have_text("审校中")
    with editor.expect_navigation():
        editor.keyboard.press("Control+Shift+Enter")  # save and approve; nothing else left: the day's page
    editor.wait_for_url(f"{url}/admin/publishing/digestday/{day.pk}/review/")
    expect(editor.locator(".messagelist")).to_contain_text(f"已通过 {fourth.paper.arxiv_id}。")
    expect(editor.locator(".messagelist")).to_contain_text(f"{DAY} 的条目已全部审校。")
    expect(editor.locator("#unpublished-changes")).to_have_text("1 项已通过的更改尚未发布。")
    assert editor.locator("#day-publish-links").count() == 0  # an editor does not publish
    shot(editor, "editor-correction-approved")

    chief.goto(f"{url}/admin/publishing/digestday/{day.pk}/review/")
    expect(chief.locator("#unpublished-changes")).to_have_text("1 项已通过的更改尚未发布。")
    with chief.expect_navigation():
        chief.locator("#day-publish-links").get_by_role("link", name="发布…", exact=True).click()
    expect(chief.locator("#publish-summary")).to_contain_text("读者现在看到的是第 1 版。")
    expect(chief.locator("#publish-summary")).to_contain_text("发布将生成第 2 版，共 6 篇。")
    expect(chief.locator("#content-main")).to_contain_text("新增 0 篇，移除 0 篇，更改 1 篇，未变 5 篇。")
    change = chief.locator(f"[id='change-{fourth.paper.arxiv_id}']")
    expect(change.locator(".preview-kind")).to_have_text("更改")
    expect(change).to_contain_text("中文标题")
    expect(change.locator("ins").first).to_contain_text("中的")
    assert chief.locator(".preview-change").count() == 1
    shot(chief, "chief-publish-preview-v2")
    with chief.expect_navigation():
        chief.click("#publish-confirm-form input[name=_confirm]")
    expect(chief.locator(".messagelist")).to_have_text("已发布第 2 版（6 篇）。")
    expect(chief.locator("#content-main")).to_contain_text("读者看到的是第 2 版。")
    assert chief.locator("#unpublished-changes").count() == 0
    shot(chief, "chief-published-v2")
    chief.goto(f"{url}/papers/{fourth.paper.arxiv_id}/")
    expect(chief.locator("h1")).to_have_text(corrected)  # the paper page is led by the Chinese title
    expect(chief.locator("p.corrected")).to_contain_text("更正于")
    assert chief.title().startswith(corrected)
    shot(chief, "public-paper-corrected")

    day.refresh_from_db()
    assert day.status == DigestDay.Status.PUBLISHED and day.live_publication.version == 2
    assert [p.published_by_name for p in day.publications.order_by("version")] == ["chief", "chief"]
    with capsys.disabled():
        print(f"\nnewsroom flow screenshots ({len(shot.taken)}): {artifacts}")
