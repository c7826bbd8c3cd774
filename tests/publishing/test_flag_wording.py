"""Why a day is flagged, in Chinese where editors read it: each reason made by the step that writes it
(stored in English for the commands, logs and alerts), shown in the editor's language with times in
the site's zone, on the day's review page and in the day's admin."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from papers.announcements import stale_feed_warning
from publishing.days.pipeline import day_start_drafting, run_daily
from publishing.days.services import day_flag_attention
from publishing.review.flag_wording import reason_shown, step_shown
from tests.builders import DEMO_DATE, DEMO_FEED, demo_day_collected
from tests.openai_stub import draft_reply, error_reply
from translations.llm import LLMConfig


def stale_warning() -> str:
    """What a fetch on Friday morning (site time) writes when the feed lacks Thursday evening's announcement."""
    return stale_feed_warning(papers=[], as_of=dt.datetime(2026, 1, 9, 3, tzinfo=dt.UTC), grace=dt.timedelta(hours=1),
                              lookback=dt.timedelta(days=3))


def test_a_stale_feed_is_told_in_chinese_at_the_sites_time_with_the_us_eastern_date_for_the_holiday():
    warning = stale_warning()
    assert warning.startswith("arXiv announced new papers on Thu 2026-01-08 20:00 US Eastern")  # the stored English
    shown = reason_shown(warning)
    # 20:00 in New York on the 8th is 09:00 in Shanghai (the site's zone) on the 9th.
    assert shown.startswith("arXiv 已于 2026-01-09 09:00（本站时间）公布新论文") and "US Eastern" not in shown
    assert "美东日期 2026-01-08" in shown and "DIGEST_ARXIV_HOLIDAYS" in shown


@pytest.mark.django_db
def test_failed_drafts_are_told_in_chinese(settings, local_server, django_capture_on_commit_callbacks):
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = f"{local_server.url}/v1", "test-key"
    settings.DIGEST_LLM_MODEL, settings.DIGEST_LLM_RETRIES = "stub-model", 0
    answers = iter([error_reply(500, "down")] + [draft_reply()] * 20)
    local_server.handler = lambda request: next(answers)
    with django_capture_on_commit_callbacks(execute=True):
        day = run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED]).collection.single.day
    day.refresh_from_db()
    assert day.attention_reason.startswith("1 machine draft(s) failed")
    shown = reason_shown(day.attention_reason)
    assert shown.startswith("1 份机器译稿失败（") and shown.endswith("请查看“机器译稿”，排除原因后使用“重新起草”。")
    assert "HTTP 500" in shown  # the draft's own error, as the client wrote it


@pytest.mark.django_db
def test_a_missing_llm_is_told_in_chinese_on_the_day_and_in_the_drafts_list(settings, admin_client):
    settings.DIGEST_LLM_MODEL = settings.OPENAI_API_KEY = ""
    day = demo_day_collected()
    day_start_drafting(day=day, enqueue=False)
    day.refresh_from_db()
    assert day.attention_reason.startswith("No LLM is configured")
    expected = ("尚未配置大语言模型：请设置 DIGEST_LLM_MODEL 和 OPENAI_API_KEY（不需要密钥的服务器则设置 OPENAI_BASE_URL）"
                "（任何兼容 OpenAI 的服务器")
    assert reason_shown(day.attention_reason).startswith(expected)
    assert LLMConfig.from_settings().problem_shown.startswith(expected)
    drafts = admin_client.get(reverse("admin:translations_machinedraft_changelist")).content.decode()
    assert expected in drafts and "No LLM is configured" not in drafts


def test_a_reason_a_person_wrote_is_shown_as_written_and_english_stays_english():
    assert reason_shown("arXiv skipped Thursday (holiday)") == "arXiv skipped Thursday (holiday)"
    assert reason_shown("") == ""
    assert (reason_shown("version 2"), step_shown("acknowledge"), step_shown("collect")) == ("第 2 版", "主编确认", "抓取")
    with translation.override("en"):
        assert reason_shown(stale_warning()).startswith("arXiv announced new papers at 2026-01-09 09:00 (site time)")


@pytest.mark.django_db
def test_the_day_review_page_and_the_days_admin_show_the_flag_in_chinese(admin_client, drafted_day):
    day_flag_attention(day=drafted_day, step="collect", reason=stale_warning())
    review = admin_client.get(reverse("admin:publishing_digestday_review", args=[drafted_day.pk])).content.decode()
    change = admin_client.get(reverse("admin:publishing_digestday_change", args=[drafted_day.pk])).content.decode()
    for page in (review, change):
        assert "arXiv 已于 2026-01-09 09:00（本站时间）公布新论文" in page and "US Eastern" not in page
        assert "抓取" in page  # the step that raised the flag, by its Chinese name


@pytest.mark.django_db
def test_a_fetch_runs_stale_feed_warning_is_shown_in_chinese(admin_client):
    from papers.models import FetchRun

    demo_day_collected()
    run = FetchRun.objects.get()
    FetchRun.objects.filter(pk=run.pk).update(warning=stale_warning() + "\n2601.00001: left out (no abstract)")
    page = admin_client.get(reverse("admin:papers_fetchrun_change", args=[run.pk])).content.decode()
    assert "arXiv 已于 2026-01-09 09:00（本站时间）公布新论文" in page and "US Eastern" not in page
    assert "2601.00001: left out (no abstract)" in page  # what the check did not write stays as written
    assert 'name="warning"' not in page  # shown, never edited
