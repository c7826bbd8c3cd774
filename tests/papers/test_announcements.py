import datetime as dt
from zoneinfo import ZoneInfo

from papers.announcements import announcements_between, stale_feed_warning, submission_deadline
from papers.feeds import FeedPaper

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC


def paper(updated, announced=None):
    return FeedPaper(
        arxiv_id="2601.00001", version=1, title="T", authors=(), primary_category="cs.SD", categories=("cs.SD",),
        abstract="A", published=updated, updated=updated, announced=announced,
    )


def test_announcements_are_sunday_to_thursday_at_eight_pm_eastern():
    week = announcements_between(dt.datetime(2026, 1, 4, tzinfo=UTC), dt.datetime(2026, 1, 11, 23, tzinfo=UTC))
    assert [f"{moment:%a %H:%M}" for moment in week] == ["Sun 20:00", "Mon 20:00", "Tue 20:00", "Wed 20:00", "Thu 20:00"]
    assert all(moment.tzinfo == NEW_YORK for moment in week)


def test_holidays_have_no_announcement():
    days = announcements_between(
        dt.datetime(2026, 12, 20, tzinfo=UTC), dt.datetime(2026, 12, 27, tzinfo=UTC), holidays=[dt.date(2026, 12, 24)]
    )
    assert dt.date(2026, 12, 24) not in [moment.date() for moment in days]


def test_sunday_announcement_carries_fridays_submissions():
    sunday = dt.datetime(2026, 1, 11, 20, tzinfo=NEW_YORK)
    assert submission_deadline(sunday) == dt.datetime(2026, 1, 9, 14, tzinfo=NEW_YORK)


def test_fetch_with_the_latest_batch_is_fresh_and_without_it_is_stale():
    as_of = dt.datetime(2026, 1, 9, 0, 50, tzinfo=UTC)  # Friday 08:50 Beijing
    common = dict(as_of=as_of, grace=dt.timedelta(hours=4), lookback=dt.timedelta(days=7))
    wednesday_batch = paper(dt.datetime(2026, 1, 7, 18, tzinfo=UTC))  # before Wed 14:00 EST
    monday_batch = paper(dt.datetime(2026, 1, 5, 18, tzinfo=UTC))
    assert stale_feed_warning(papers=[wednesday_batch, monday_batch], **common) == ""
    assert "Wed 2026-01-07 20:00" in stale_feed_warning(papers=[monday_batch], **common)
    assert "Wed 2026-01-07 20:00" in stale_feed_warning(papers=[], **common)


def test_announcement_feed_is_fresh_when_dated_after_the_announcement():
    as_of = dt.datetime(2026, 1, 9, 0, 50, tzinfo=UTC)
    common = dict(as_of=as_of, grace=dt.timedelta(hours=4), lookback=dt.timedelta(days=7))
    thursday_feed = paper(dt.datetime(2026, 1, 8, 5, tzinfo=UTC), announced=dt.datetime(2026, 1, 8, 5, tzinfo=UTC))
    tuesday_feed = paper(dt.datetime(2026, 1, 6, 5, tzinfo=UTC), announced=dt.datetime(2026, 1, 6, 5, tzinfo=UTC))
    assert stale_feed_warning(papers=[thursday_feed], **common) == ""
    assert stale_feed_warning(papers=[tuesday_feed], **common) != ""


def test_no_expected_announcement_no_warning():
    # Monday 08:50 Beijing: the Sunday-evening announcement is not due yet; Friday and Saturday have none.
    as_of = dt.datetime(2026, 1, 12, 0, 50, tzinfo=UTC)
    warning = stale_feed_warning(
        papers=[paper(dt.datetime(2026, 1, 8, 18, tzinfo=UTC))],
        as_of=as_of, grace=dt.timedelta(hours=4), lookback=dt.timedelta(days=7),
    )
    assert warning == ""


def test_a_fetch_holding_papers_of_a_later_announcement_than_expected_is_not_stale():
    common = dict(grace=dt.timedelta(hours=4), lookback=dt.timedelta(days=7))
    # Summer: Friday 2026-06-05 08:50 Beijing is Thursday 20:50 EDT. Thursday's announcement is 50 minutes old,
    # inside the grace, so Wednesday's is the one expected; a saved answer holding Thursday's batch alone is fresh.
    summer = dt.datetime(2026, 6, 5, 0, 50, tzinfo=UTC)
    thursday_batch = paper(dt.datetime(2026, 6, 4, 16, tzinfo=UTC))  # Thu 12:00 EDT
    assert stale_feed_warning(papers=[thursday_batch], as_of=summer, **common) == ""
    # Winter, a late fetch: Wednesday's announcement is expected, the answer holds Thursday's batch only.
    winter = dt.datetime(2026, 1, 9, 0, 50, tzinfo=UTC)
    assert stale_feed_warning(papers=[paper(dt.datetime(2026, 1, 8, 16, tzinfo=UTC))], as_of=winter, **common) == ""
    # Still stale when everything is older than the expected announcement.
    tuesday_batch = paper(dt.datetime(2026, 6, 2, 16, tzinfo=UTC))
    assert "Wed 2026-06-03 20:00" in stale_feed_warning(papers=[tuesday_batch], as_of=summer, **common)
