"""Health with two digests: each digest's morning and drafts are checked, and each problem names its digest."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from digests.models import Digest
from digests.services import digest_add
from monitoring.checks import DRAFTS, MORNING_RUN, SCHEDULED_PUBLICATIONS, health_report, morning_date
from newsroom.notification_events import day_flagged_event, day_ready_event
from papers.models import FetchRun
from publishing.days.services import COLLECT_STEP, DRAFT_STEP, day_flag_attention, day_open
from publishing.days.windows import window_of
from publishing.models import DayTransition, DigestDay
from tests.monitoring import problems

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 1, 9, 10, tzinfo=SHANGHAI)  # past both digests' 08:50 anchor
DATE = dt.date(2026, 1, 9)


@pytest.fixture
def nlp(db) -> Digest:
    digest = digest_add(slug="nlp", name="NLP Daily", categories=["cs.CL"])
    Digest.objects.filter(pk=digest.pk).update(created_at=NOW - dt.timedelta(days=30))
    digest.refresh_from_db()
    return digest


def shared_fetch(status=FetchRun.Status.SUCCEEDED, **fields) -> FetchRun:
    """The morning's one fetch for both digests."""
    counts = {"daily": {"fetched": 5, "kept": 4}, "nlp": {"fetched": 2, "kept": 2}}
    return problems.fetch_run(DATE, status, at=NOW - dt.timedelta(minutes=60), categories=["cs.SD", "eess.AS", "cs.CL"],
                              digest_counts=counts if status == FetchRun.Status.SUCCEEDED else {}, **fields)


def day_of(digest: Digest) -> DigestDay:
    return day_open(window=window_of(digest, DATE), digest=digest)


def test_one_fetch_serving_both_digests_is_each_digests_morning(nlp):
    shared_fetch()
    part = health_report(now=NOW).part(MORNING_RUN)
    assert part.ok
    assert part.detail.startswith("[daily] 2026-01-09: fetch #") and "fetched 5, kept 4" in part.detail
    assert "; [nlp] 2026-01-09: fetch #" in part.detail and "fetched 2, kept 2" in part.detail


def test_a_stale_feed_on_one_digests_day_fails_the_morning_naming_that_digest(nlp):
    shared_fetch()
    day_flag_attention(day=day_of(nlp), step=COLLECT_STEP, reason="the feed shows nothing announced since …")
    part = health_report(now=NOW).part(MORNING_RUN)
    assert not part.ok
    assert [problem.subject for problem in part.problems] == ["[nlp] 2026-01-09"]
    assert "kept 2: the feed shows nothing" in part.detail


def test_a_failed_fetch_of_one_digest_fails_only_its_morning(nlp):
    shared_fetch()  # the morning's fetch, for both
    problems.fetch_run(DATE, FetchRun.Status.FAILED, at=NOW - dt.timedelta(minutes=5), categories=["cs.CL"],
                       error="HTTPError: 503")  # someone's fetch_papers --digest nlp, later
    part = health_report(now=NOW).part(MORNING_RUN)
    assert [(problem.subject, problem.detail.split(":")[0]) for problem in part.problems] == [
        ("[nlp] 2026-01-09", f"fetch #{FetchRun.objects.order_by('-id').first().pk} failed")]


def test_each_digests_morning_comes_at_its_own_anchor(nlp):
    nlp.anchor, nlp.time_zone = dt.time(6), "America/Los_Angeles"  # 22:00 Shanghai the day before, in January
    nlp.save()
    assert morning_date(NOW, nlp) == dt.date(2026, 1, 8)  # 18:00 in Los Angeles: its day of the 9th is not due
    shared_fetch()
    part = health_report(now=NOW).part(MORNING_RUN)
    assert not part.ok
    assert [problem.subject for problem in part.problems] == ["[nlp] 2026-01-08"]
    assert "no fetch for 2026-01-08 since its anchor (2026-01-08 22:00)" in part.detail
    assert part.age_seconds == 12 * 3600


def test_a_digest_added_since_its_last_anchor_is_not_late(db):
    # The morning's fetch, before the second digest was made (now, after NOW's anchor).
    problems.fetch_run(DATE, FetchRun.Status.SUCCEEDED, at=NOW, categories=["cs.SD"], digest_counts={"daily": {}})
    digest_add(slug="nlp", name="NLP Daily", categories=["cs.CL"])
    part = health_report(now=NOW).part(MORNING_RUN)
    assert part.ok and "[nlp] no morning run yet (a new digest)" in part.detail


def test_flagged_drafts_and_overdue_schedules_name_their_digest(nlp):
    shared_fetch()
    day_flag_attention(day=day_of(nlp), step=DRAFT_STEP, reason="1 machine draft(s) failed (2601.05011): timeout")
    report = health_report(now=NOW)
    assert [problem.subject for problem in report.part(DRAFTS).problems] == ["[nlp] 2026-01-09"]
    problems.publication_overdue(NOW)
    assert "publishing [daily] 2026-01-09 at" in health_report(now=NOW).part(SCHEDULED_PUBLICATIONS).detail


def test_notifications_name_the_digest_when_there_are_several(db):
    day = day_open(window=window_of(Digest.objects.home(), DATE))
    flag = day_flag_attention(day=day, step=COLLECT_STEP, reason="stale")
    alone = day_flagged_event(DayTransition.objects.filter(day=flag).latest("id")).subject
    assert alone.endswith("] 2026-01-09 需要处理")
    nlp = digest_add(slug="nlp", name="NLP Daily", categories=["cs.CL"])
    nlp_day = day_open(window=window_of(nlp, DATE), digest=nlp)
    assert day_ready_event(nlp_day).subject.endswith("] NLP Daily 2026-01-09 的初稿已就绪，可以审校")
    assert day_flagged_event(DayTransition.objects.filter(day=flag).latest("id")).subject.endswith(
        "] arXiv Daily 2026-01-09 需要处理")
