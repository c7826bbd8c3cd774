"""Calm commands: nothing to do is said, not raised; every refusal is one line, never a traceback."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from papers.models import FetchRun
from publishing.days.services import DayStateError
from publishing.models import DigestDay
from publishing.tasks import run_daily_task
from tests.builders import DEMO_FEED

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DRAFTS_FILE = str(REPO_ROOT / "demo" / "drafts-2026-01-09.json")


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_run_daily_on_a_published_day_says_there_is_nothing_to_do(published_day):
    fetches = FetchRun.objects.count()
    out, err = run("run_daily", "--date", "2026-01-09", "--file", DEMO_FEED)
    assert out == ("2026-01-09 is already published (version 1): nothing to do (to collect it again, unpublish it "
                   "first: publish_day --date 2026-01-09 --unpublish)\n") and err == ""
    published_day.refresh_from_db()
    assert published_day.status == DigestDay.Status.PUBLISHED
    assert FetchRun.objects.count() == fetches, "nothing was fetched"


def test_the_schedules_morning_job_on_a_published_day_succeeds_saying_so(published_day, monkeypatch):
    monkeypatch.setattr("publishing.tasks.parse_digest_date", lambda date, tz=None: published_day.date)
    assert run_daily_task().startswith("2026-01-09 is already published (version 1): nothing to do")


def test_translate_day_force_on_a_published_day_is_one_line_and_changes_nothing(published_day):
    drafts = published_day.entries.first().paper.machine_drafts.count()
    with pytest.raises(CommandError) as refused:
        run("translate_day", "--date", "2026-01-09", "--force")
    assert str(refused.value) == (
        "2026-01-09 is published; unpublish it before drafting it again (publish_day --date 2026-01-09 "
        "--unpublish), or draft single papers again from the admin's Machine drafts")
    assert published_day.entries.first().paper.machine_drafts.count() == drafts
    published_day.refresh_from_db()
    assert published_day.status == DigestDay.Status.PUBLISHED


def test_translate_day_on_a_published_day_with_nothing_to_draft_is_no_error(published_day, settings):
    settings.DIGEST_LLM_MODEL, settings.OPENAI_API_KEY = "stub-model", "test-key"
    out, _ = run("translate_day", "--date", "2026-01-09")
    assert out.startswith("2026-01-09: 0 drafts queued, 0 already in progress, 6 already drafted")


def test_an_error_of_the_projects_own_escaping_a_command_is_one_line(monkeypatch, capsys):
    """manage.py's net: a domain error no command caught is said like a CommandError; a bug keeps its traceback."""
    import manage

    def refusing(argv):
        raise DayStateError("2026-01-09 is published;\n it cannot become drafting")

    monkeypatch.setattr("django.core.management.execute_from_command_line", refusing)
    monkeypatch.setattr(sys, "argv", ["manage.py", "translate_day"])
    with pytest.raises(SystemExit) as exited:
        manage.main()
    assert exited.value.code == 1
    assert capsys.readouterr().err == "DayStateError: 2026-01-09 is published; it cannot become drafting\n"

    def buggy(argv):
        raise KeyError("a bug")

    monkeypatch.setattr("django.core.management.execute_from_command_line", buggy)
    with pytest.raises(KeyError):
        manage.main()


@pytest.mark.django_db
def test_qinfo_shows_the_queue(capsys):
    call_command("qinfo")
    shown = capsys.readouterr().out
    assert "Blessed is not installed" not in shown and "ORM default" in shown


def test_the_worst_cases_in_a_real_shell_are_one_line_without_a_traceback(tmp_path):
    """The real CLI on its own SQLite file: a published day collected, drafted and published again."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DIGEST_VAR_DIR=str(tmp_path), DEBUG="1", DJANGO_SETTINGS_MODULE="digest_site.settings",
               EMAIL_BACKEND="console")

    def manage(*args) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), *args], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120)

    for step in (("migrate", "-v0"), ("fetch_papers", "--date", "2026-01-09", "--file", DEMO_FEED),
                 ("load_demo_drafts", "--file", DEMO_DRAFTS_FILE), ("translate_day", "--date", "2026-01-09", "--sync"),
                 ("demo_admin",), ("demo_publish", "--date", "2026-01-09", "--leave", "0")):
        assert manage(*step).returncode == 0, step

    again = manage("run_daily", "--date", "2026-01-09", "--file", DEMO_FEED)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.startswith("2026-01-09 is already published (version 1): nothing to do")
    assert again.stdout.count("\n") == 1

    for refused, says in [
        (("translate_day", "--date", "2026-01-09", "--force"), "CommandError: 2026-01-09 is published; unpublish it"),
        (("fetch_papers", "--date", "2026-01-09", "--file", DEMO_FEED), "CommandError: 2026-01-09 is published;"),
        (("publish_day", "--date", "2026-01-09", "--user", "nobody"), "CommandError: --user: no user named 'nobody'"),
        (("translate_day", "--date", "2026-01-10"), "CommandError: no digest day 2026-01-10"),
    ]:
        result = manage(*refused)
        assert result.returncode == 1 and result.stdout == "", (refused, result.stdout)
        assert result.stderr.startswith(says) and result.stderr.count("\n") == 1, (refused, result.stderr)
        assert "Traceback" not in result.stderr
