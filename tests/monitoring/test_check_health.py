"""`check_health`: one line per part, exit status 1 when not ready; --alert opens incidents and tells the team."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.models import Schedule

from monitoring.checks import PARTS
from monitoring.models import Incident
from monitoring.schedule import HEALTH_FUNC, HEALTH_NAME
from tests.monitoring import problems

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_well_installation_prints_a_line_per_part_and_exits_0(capsys):
    call_command("check_health")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"ok   {part}" for part in PARTS]


@pytest.mark.django_db
def test_a_failing_part_exits_1_and_alert_opens_its_incident(capsys, mailoutbox, settings):
    settings.DIGEST_ALERT_EMAILS = [("", "oncall@example.org")]
    problems.workers_dead(timezone.now())
    with pytest.raises(CommandError) as failure:
        call_command("check_health", "--alert")
    assert failure.value.returncode == 1 and "not ready: workers" in str(failure.value)
    out = capsys.readouterr().out
    assert "FAIL workers: no worker cluster has run its schedule" in out
    assert "opened workers: no worker cluster" in out and "(the team was told)" in out
    assert Incident.objects.open().get().kind == "workers" and len(mailoutbox) == 1
    with pytest.raises(CommandError):
        call_command("check_health", "--alert")
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_without_alert_nothing_is_written(capsys):
    problems.workers_dead(timezone.now())
    with pytest.raises(CommandError):
        call_command("check_health")
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_install_schedule_installs_the_health_evaluation(capsys):
    call_command("install_schedule")
    assert f"Schedule '{HEALTH_NAME}' installed" in capsys.readouterr().out
    schedule = Schedule.objects.get(name=HEALTH_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (HEALTH_FUNC, Schedule.MINUTES, 5)


@pytest.mark.django_db
def test_the_scheduled_task_evaluates(settings):
    from monitoring.tasks import health_evaluate_task

    problems.workers_dead(timezone.now())
    assert "opened workers: no worker cluster" in health_evaluate_task()
    assert "incidents open: 1" in health_evaluate_task()


def test_with_the_database_down_it_says_so_in_a_line_per_part_and_exits_1(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL", "DJANGO_SETTINGS"))}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="digest_site.settings", DIGEST_VAR_DIR=str(tmp_path),
               DATABASE_URL="postgres://postgres@127.0.0.1:1/arxiv_digest")
    result = subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), "check_health", "--alert"], env=env,
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL database: unreachable (postgresql)")
    assert lines[-1] == "incidents not evaluated: the database is unreachable"
    assert result.stderr.strip().endswith("not ready: database, broker, workers, morning_run, drafts, "
                                          "scheduled_publications, email_deliveries, webhook_deliveries, archive_files")
