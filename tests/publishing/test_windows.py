import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from publishing.days.windows import current_digest_date, digest_window, parse_digest_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def test_window_runs_from_the_anchor_on_the_day_before_to_the_anchor_on_the_day():
    window = digest_window(dt.date(2026, 1, 9))
    assert f"{window.start:%Y-%m-%d %H:%M} — {window.end:%Y-%m-%d %H:%M}" == "2026-01-08 08:50 — 2026-01-09 08:50"
    assert window.end - window.start == dt.timedelta(hours=24)
    assert window.end.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize(
    "local_time, expected_date",
    [
        ("2026-01-09 08:49", "2026-01-09"),  # just before the anchor: today's window is still open
        ("2026-01-09 08:50", "2026-01-09"),
        ("2026-01-09 23:59", "2026-01-09"),
        ("2026-01-10 00:00", "2026-01-10"),
    ],
)
def test_current_digest_date_is_the_calendar_date_in_the_digest_time_zone(local_time, expected_date):
    moment = dt.datetime.strptime(local_time, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    assert current_digest_date(moment.astimezone(dt.UTC)).isoformat() == expected_date


@pytest.mark.parametrize(
    "date, announcement_local, in_window",
    [
        # Winter (EST): 20:00 New York is 09:00 Beijing, after the 08:50 anchor, so it falls in the next day.
        (dt.date(2026, 1, 8), dt.datetime(2026, 1, 7, 20, tzinfo=NEW_YORK), False),
        (dt.date(2026, 1, 9), dt.datetime(2026, 1, 7, 20, tzinfo=NEW_YORK), True),
        # Summer (EDT): 20:00 New York is 08:00 Beijing, before the anchor, so it is the same day's.
        (dt.date(2026, 7, 8), dt.datetime(2026, 7, 7, 20, tzinfo=NEW_YORK), True),
        (dt.date(2026, 7, 9), dt.datetime(2026, 7, 7, 20, tzinfo=NEW_YORK), False),
    ],
)
def test_announcement_falls_on_either_side_of_the_anchor_by_season(date, announcement_local, in_window):
    window = digest_window(date)
    assert (window.start < announcement_local <= window.end) is in_window


def test_window_follows_the_configured_anchor_and_time_zone(settings):
    settings.DIGEST_ANCHOR = dt.time(7, 0)
    settings.DIGEST_TIMEZONE = "Europe/Berlin"
    window = digest_window(dt.date(2026, 3, 29))  # the night Berlin moves to summer time
    assert window.start.isoformat() == "2026-03-28T07:00:00+01:00"
    assert window.end.isoformat() == "2026-03-29T07:00:00+02:00"
    assert window.end.astimezone(dt.UTC) - window.start.astimezone(dt.UTC) == dt.timedelta(hours=23)


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "2026/01/09", ""])
def test_bad_dates_are_refused_with_a_clear_message(text):
    with pytest.raises(ValueError, match="not a date as YYYY-MM-DD"):
        parse_digest_date(text)
