"""The morning job with digests of different anchors: one Schedule per anchor and time zone, each collecting
its own digests with one fetch, each with its own retries."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from digests.models import Digest
from digests.services import digest_add
from papers.models import FetchRun
from publishing.days.schedule import SCHEDULE_FUNC, SCHEDULE_NAME, morning_group, next_anchor
from publishing.models import DigestDay
from publishing.tasks import run_daily_task
from tests.fake_arxiv import SimPaper, SimulatedArxiv
from tests.local_server import Reply

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
DATE = dt.date(2026, 1, 9)
WEST = f"{SCHEDULE_NAME} at 06:00 America/Los_Angeles"


def install() -> str:
    out = StringIO()
    call_command("install_schedule", stdout=out)
    return out.getvalue()


def mornings() -> dict[str, Schedule]:
    return {schedule.name: schedule for schedule in Schedule.objects.filter(func=SCHEDULE_FUNC,
                                                                              schedule_type=Schedule.DAILY)}


@pytest.fixture
def west(db) -> Digest:
    return digest_add(slug="west", name="West", categories=["cs.CL"], anchor=dt.time(6), time_zone="America/Los_Angeles")


def test_digests_sharing_the_anchor_share_the_one_morning_schedule(db):
    digest_add(slug="nlp", name="NLP", categories=["cs.CL"])
    install()
    install()
    (schedule,) = mornings().values()
    assert schedule.name == SCHEDULE_NAME and schedule.args is None


def test_a_digest_of_another_anchor_gets_its_own_schedule_and_loses_it_when_its_anchor_joins_the_first(west):
    out = install()
    install()  # idempotent
    assert set(mornings()) == {SCHEDULE_NAME, WEST}
    schedule = mornings()[WEST]
    assert schedule.args == "(None, 1, '06:00', 'America/Los_Angeles')"
    local = schedule.next_run.astimezone(LOS_ANGELES)
    assert (local.hour, local.minute) == (6, 0) and schedule.next_run > timezone.now()
    assert f"Schedule {WEST!r} installed" in out

    home = Digest.objects.home()
    west.anchor, west.time_zone = home.anchor, home.time_zone
    west.save()
    out = install()
    assert set(mornings()) == {SCHEDULE_NAME}
    assert f"Schedule {WEST!r} deleted: no digest's day ends at its time any more" in out


def test_next_anchor_follows_the_groups_zone_across_summer_time(west):
    group = morning_group("06:00", "America/Los_Angeles")
    before = next_anchor(dt.datetime(2026, 3, 7, 15, tzinfo=dt.UTC), group)  # 07:00 PST: tomorrow's 06:00
    assert before == dt.datetime(2026, 3, 8, 6, tzinfo=LOS_ANGELES)
    assert before.utcoffset() == dt.timedelta(hours=-7)  # summer time began that night: 13:00 UTC, not 14:00


@pytest.fixture
def arxiv(db, local_server, settings):
    """arXiv with a cs.SD and a cs.CL paper of 2026-01-09's window; down (503) while `arxiv.up` is False."""
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    settings.ARXIV_HTTP_RETRIES = 0
    simulated = SimulatedArxiv()
    submitted = dt.datetime(2026, 1, 7, 16, tzinfo=dt.UTC)
    simulated.papers += [SimPaper("2601.00001", 1, "Audio", "cs.SD", ["cs.SD"], submitted, submitted, submitted),
                         SimPaper("2601.00002", 1, "Text", "cs.CL", ["cs.CL"], submitted, submitted, submitted)]
    simulated.now = dt.datetime(2026, 1, 9, 1, 0, tzinfo=dt.UTC)
    simulated.up = True
    local_server.handler = lambda request: simulated(request) if simulated.up else Reply(
        status=503, body=b"busy", headers={"Content-Type": "text/plain"})
    return simulated


def test_each_groups_morning_job_collects_only_its_digests_with_one_fetch(west, arxiv, local_server):
    run_daily_task(f"{DATE}", 1, "06:00", "America/Los_Angeles")
    (run,) = FetchRun.objects.all()
    assert set(run.digest_counts) == {"west"} and run.categories == ["cs.CL"]
    assert list(DigestDay.objects.values_list("digest__slug", flat=True)) == ["west"]
    assert {query for request in local_server.requests for query in request.query["search_query"]} \
        == {query for query in local_server.requests[0].query["search_query"]}, "one query"

    run_daily_task(f"{DATE}")  # the first digest's group
    assert set(FetchRun.objects.latest("id").digest_counts) == {"daily"}
    assert sorted(DigestDay.objects.values_list("digest__slug", flat=True)) == ["daily", "west"]


def test_a_failed_morning_of_one_group_is_retried_for_that_group_alone(west, arxiv):
    arxiv.up = False
    result = run_daily_task(f"{DATE}", 1, "06:00", "America/Los_Angeles")
    assert "fetch failed (try 1 of 4)" in result
    (retry,) = Schedule.objects.filter(schedule_type=Schedule.ONCE)
    assert retry.name == f"{SCHEDULE_NAME} {DATE} try 2 at 06:00 America/Los_Angeles"
    assert retry.args == "('2026-01-09', 2, '06:00', 'America/Los_Angeles')"

    arxiv.up = True
    run_daily_task(f"{DATE}")  # the first digest's morning succeeds: not the west group's work
    assert "try 2 not needed" not in run_daily_task(f"{DATE}", 2, "06:00", "America/Los_Angeles")
    assert DigestDay.objects.filter(digest=west, date=DATE).exists()
    assert "try 3 not needed: fetch #" in run_daily_task(f"{DATE}", 3, "06:00", "America/Los_Angeles")


def test_the_daily_run_puts_its_schedule_back_on_the_anchor(west, arxiv):
    install()
    Schedule.objects.filter(name=WEST).update(next_run=timezone.now() + dt.timedelta(hours=30))  # an hour off, say
    arxiv.up = False  # what the run does does not matter here
    run_daily_task(None, 1, "06:00", "America/Los_Angeles")
    assert Schedule.objects.get(name=WEST).next_run == next_anchor(timezone.now(), morning_group("06:00",
                                                                                                "America/Los_Angeles"))
