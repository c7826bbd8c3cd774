"""The day's pipeline: collect, draft every entry (django-q2 tasks run in-process here), review."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from publishing.days.pipeline import run_daily
from publishing.days.schedule import SCHEDULE_NAME, next_anchor
from tests.builders import DEMO_FEED
from tests.openai_stub import GOOD_DRAFT, draft_reply, error_reply
from translations.models import MachineDraft

DEMO_DATE = dt.date(2026, 1, 9)


@pytest.fixture
def llm(settings, local_server):
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    settings.DIGEST_LLM_RETRIES = 0
    local_server.handler = lambda request: draft_reply()
    return local_server


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def status(date=DEMO_DATE) -> dict:
    return json.loads(command("digest_status", "--date", date.isoformat(), "--json"))


@pytest.mark.django_db
def test_run_daily_drafts_every_entry_and_moves_the_day_to_review(llm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        daily = run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])

    assert daily.drafting[0].queued == 6
    described = status()
    assert described["status"] == "in_review"
    assert described["drafts"] == {"queued": 0, "running": 0, "succeeded": 6, "failed": 0, "missing": 0}
    assert described["tokens"] == {"input": 6 * 1200, "output": 6 * 400}
    assert len([r for r in llm.requests if r.path == "/v1/chat/completions"]) == 6


@pytest.mark.django_db
def test_rerunning_the_day_drafts_nothing_twice(llm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])
    with django_capture_on_commit_callbacks(execute=True):
        again = run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])
    assert (again.drafting[0].queued, again.drafting[0].active, again.drafting[0].done) == (0, 0, 6)
    assert MachineDraft.objects.count() == 6 and len(llm.requests) == 6
    assert status()["status"] == "in_review"


@pytest.mark.django_db
def test_failed_drafts_flag_the_day_and_drafting_again_recovers_it(llm, django_capture_on_commit_callbacks, admin_client):
    answers = iter([error_reply(500, "down")] + [draft_reply()] * 20)
    llm.handler = lambda request: next(answers)
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])

    described = status()
    assert described["status"] == "needs_attention"
    assert described["drafts"]["failed"] == 1 and described["drafts"]["succeeded"] == 5
    assert "1 machine draft(s) failed" in described["attention"]

    failed = MachineDraft.objects.get(status="failed")
    changelist = admin_client.get("/admin/translations/machinedraft/?status__exact=failed")
    assert "HTTP 500" in changelist.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/translations/machinedraft/", {"action": "draft_again", "_selected_action": [failed.pk]}
        )
    described = status()
    assert described["status"] == "in_review" and described["attention"] is None
    assert described["drafts"]["succeeded"] == 6
    assert MachineDraft.objects.filter(paper=failed.paper).count() == 2, "the failed attempt is kept"


@pytest.mark.django_db
def test_without_an_llm_the_day_is_collected_and_says_how_to_configure_one(settings):
    settings.DIGEST_LLM_MODEL = ""
    settings.OPENAI_API_KEY = ""
    out = command("run_daily", "--date", "2026-01-09", "--file", DEMO_FEED)
    assert "kept 6 new" in out and "No LLM is configured" in out

    described = status()
    assert described["kept"] == 6
    assert described["status"] == "needs_attention" and "DIGEST_LLM_MODEL" in described["attention"]
    assert described["drafts"]["missing"] == 6
    assert described["llm"]["configured"] is False
    assert not MachineDraft.objects.exists()
    with pytest.raises(CommandError, match="No LLM is configured"):
        command("translate_day", "--date", "2026-01-09", "--sync")


@pytest.mark.django_db
def test_configuring_an_llm_later_then_translate_day_finishes_the_day(llm, settings):
    model = settings.DIGEST_LLM_MODEL
    settings.DIGEST_LLM_MODEL = ""
    command("run_daily", "--date", "2026-01-09", "--file", DEMO_FEED)
    settings.DIGEST_LLM_MODEL = model

    out = command("translate_day", "--date", "2026-01-09", "--sync")
    assert "drafted 6, failed 0" in out and "day is in_review" in out
    assert status()["status"] == "in_review"


@pytest.mark.django_db
def test_translate_day_force_drafts_again_keeping_old_drafts(llm):
    command("fetch_papers", "--date", "2026-01-09", "--file", DEMO_FEED)
    command("translate_day", "--date", "2026-01-09", "--sync")
    out = command("translate_day", "--date", "2026-01-09", "--sync", "--force")
    assert "drafted 6" in out
    assert MachineDraft.objects.count() == 12
    assert MachineDraft.objects.filter(abstract_zh=GOOD_DRAFT["abstract_zh"]).count() == 12


@pytest.mark.django_db
def test_translate_day_refuses_a_day_never_collected():
    with pytest.raises(CommandError, match="has not been collected"):
        command("translate_day", "--date", "2026-01-09")


@pytest.mark.django_db
def test_install_schedule_is_idempotent_and_runs_at_the_anchor():
    command("install_schedule")
    command("install_schedule")
    schedule = Schedule.objects.get(name=SCHEDULE_NAME)
    # The daily job, the drafts' watchdog, publishing's sweep, delivery's sweep, monitoring's health
    # evaluation and the public site's archive files sweep (the last three installed through the signal), once each.
    assert Schedule.objects.count() == 6
    assert schedule.func == "publishing.tasks.run_daily_task" and schedule.schedule_type == Schedule.DAILY
    watchdog = Schedule.objects.get(func="translations.tasks.drafts_watchdog_task")
    assert (watchdog.schedule_type, watchdog.minutes) == (Schedule.MINUTES, 5)
    sweep = Schedule.objects.get(func="delivery.tasks.deliveries_sweep_task")
    assert (sweep.schedule_type, sweep.minutes) == (Schedule.MINUTES, 5)
    local = schedule.next_run.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (local.hour, local.minute) == (8, 50)


def test_next_anchor_is_today_before_it_and_tomorrow_after_it():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert next_anchor(dt.datetime(2026, 1, 9, 8, 0, tzinfo=shanghai)).day == 9
    assert next_anchor(dt.datetime(2026, 1, 9, 9, 0, tzinfo=shanghai)).day == 10
