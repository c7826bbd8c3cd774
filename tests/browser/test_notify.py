"""In a real browser, in Chinese: nothing about a scheduled publication is silent.

The demo's state (the day published with its approved entries, one entry still in review) is counted
on the front page; a chief editor schedules a correction with a note for readers and is warned that
no worker runs; once its time has passed, the publish page and the front page say it is overdue and
why; a worker runs it and the public version history shows the note.

Screenshots go to notify/ in pytest's temporary folder (the test prints where).
"""

import contextlib
import datetime as dt
import shutil

import pytest
from django.utils import timezone

from public.page_cache import public_cache_clear
from publishing.models import ScheduledPublication
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from publishing.tasks import scheduled_publication_task
from tests.builders import approve_all, demo_day_drafted, edit, user_in

NOTE = "更正了第一篇论文的中文标题。"


def committed(execute: bool = True):
    """What the builders' `capture` does in a test whose transactions commit: nothing to add."""
    return contextlib.nullcontext()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_scheduled_correction_warns_shows_overdue_and_publishes_its_note(chromium, live_server, settings,
                                                                            tmp_path_factory, capsys):
    browser, expect = chromium
    url = live_server.url
    settings.DIGEST_PUBLIC_RECHECK_SECONDS = 0
    public_cache_clear()
    shots = tmp_path_factory.getbasetemp() / "notify"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir()

    # What demo_setup leaves: published with the approved entries, entry 6 still in review.
    editor, chief = user_in("Editor", "editor"), user_in("Chief editor", "chief")
    day = demo_day_drafted(committed)
    approve_all(day, editor, except_positions=(6,))
    day_publish(day=day, user=chief, approved_only=True)

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", "pw")
    with page.expect_navigation():
        page.click("input[type=submit]")
    row = page.locator("#front-day-2026-01-09")
    expect(row).to_contain_text("审校中 1")
    expect(page.locator("#front-unfinished")).to_contain_text("还有 1 篇条目在等待初稿或审校中")
    expect(page.locator("#front-page")).not_to_contain_text("所有日期都已发布且是最新的。")
    page.screenshot(path=str(shots / "01-front-page-counts-the-entry-in-review.png"), full_page=True)

    # A correction to publish later, with a note for readers.
    first = day.entries.select_related("paper").get(position=1)
    edit(first, editor, committed, title_zh="面向低延迟语音合成的相位感知扩散式声码器")  # back in review
    entry_approve(entry=first, user=editor)
    page.goto(f"{url}/admin/publishing/digestday/{day.pk}/publish/?approved_only=1")
    expect(page.locator(".no-workers-warning")).to_contain_text("没有正在运行的工作进程集群")
    page.fill("#id_correction_note", NOTE)
    publish_at = timezone.localtime(timezone.now() + dt.timedelta(minutes=5))
    page.fill("#id_publish_at", f"{publish_at:%Y-%m-%dT%H:%M}")
    with page.expect_navigation():
        page.click("input[name=_confirm]")
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text(f"{publish_at:%Y-%m-%d %H:%M}")
    expect(messages.locator(".warning")).to_contain_text("没有正在运行的工作进程集群")
    page.screenshot(path=str(shots / "02-scheduled-with-a-warning.png"), full_page=True)
    scheduled = ScheduledPublication.objects.get()
    assert (scheduled.correction_note, scheduled.approved_only) == (NOTE, True)

    # Its time passes with no worker running: overdue, and why, on the publish page and the front page.
    ScheduledPublication.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - dt.timedelta(seconds=96))
    page.goto(f"{url}/admin/publishing/digestday/{day.pk}/publish/?approved_only=1")
    expect(page.locator(".scheduled-problem")).to_contain_text("已逾期")
    expect(page.locator(".scheduled-problem")).to_contain_text("没有正在运行的工作进程集群")
    expect(page.locator(".scheduled-note")).to_contain_text(NOTE)
    page.screenshot(path=str(shots / "03-publish-page-overdue.png"), full_page=True)
    page.goto(f"{url}/admin/")
    expect(page.locator(".front-scheduled-problem")).to_contain_text("已逾期")
    page.screenshot(path=str(shots / "04-front-page-overdue.png"), full_page=True)

    # A worker runs it: version 2, with the note on the public version history.
    assert scheduled_publication_task(str(scheduled.pk)) == "done: version 2"
    reader = browser.new_context(locale="zh-CN").new_page()
    reader.goto(f"{url}/days/2026-01-09/versions/")
    expect(reader.locator("#version-2")).to_contain_text(NOTE)
    reader.screenshot(path=str(shots / "05-versions-page-note.png"), full_page=True)
    page.goto(f"{url}/admin/")
    expect(page.locator("#front-page")).not_to_contain_text("已逾期")

    # Each person's own choice, from the link at the top of every admin page.
    page.click("#my-notifications")
    expect(page.locator("#id_by_email")).to_be_checked()
    page.uncheck("#id_by_email")
    with page.expect_navigation():
        page.click("#notification-preference-form input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("你的通知设置已保存。")
    expect(page.locator("#id_by_email")).not_to_be_checked()
    page.screenshot(path=str(shots / "06-my-notifications.png"), full_page=True)
    context.close()
    with capsys.disabled():
        print(f"\nscreenshots: {shots}")
