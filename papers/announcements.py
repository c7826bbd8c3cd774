"""arXiv's announcement calendar, and the check that a fetch saw the latest announcement.

arXiv announces at 20:00 US Eastern, Sunday to Thursday, except on holidays.
Each announcement carries the submissions received up to 14:00 Eastern that
weekday (Sunday's carries Thursday 14:00 to Friday 14:00).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from papers.feeds import FeedPaper

ARXIV_TIMEZONE = ZoneInfo("America/New_York")
ANNOUNCEMENT_TIME = dt.time(20, 0)
SUBMISSION_DEADLINE = dt.time(14, 0)
ANNOUNCEMENT_WEEKDAYS = {6, 0, 1, 2, 3}  # Sunday … Thursday (Monday is 0)
SEARCH_LIMIT_DAYS = 21


def announcement_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, ANNOUNCEMENT_TIME, tzinfo=ARXIV_TIMEZONE)


def is_announcement_day(day: dt.date, holidays: Iterable[dt.date] = ()) -> bool:
    return day.weekday() in ANNOUNCEMENT_WEEKDAYS and day not in set(holidays)


def announcements_between(
    start: dt.datetime, end: dt.datetime, holidays: Sequence[dt.date] = ()
) -> list[dt.datetime]:
    """Announcement instants in (start, end]."""
    day = start.astimezone(ARXIV_TIMEZONE).date() - dt.timedelta(days=1)
    last_day = end.astimezone(ARXIV_TIMEZONE).date()
    found = []
    while day <= last_day:
        moment = announcement_at(day)
        if is_announcement_day(day, holidays) and start < moment <= end:
            found.append(moment)
        day += dt.timedelta(days=1)
    return found


def latest_announcement(before: dt.datetime, holidays: Sequence[dt.date] = ()) -> dt.datetime | None:
    found = announcements_between(before - dt.timedelta(days=SEARCH_LIMIT_DAYS), before, holidays)
    return found[-1] if found else None


def submission_deadline(announcement: dt.datetime) -> dt.datetime:
    """The last submission time an announcement carries: 14:00 Eastern that weekday (Friday for Sunday)."""
    day = announcement.astimezone(ARXIV_TIMEZONE).date()
    if day.weekday() == 6:
        day -= dt.timedelta(days=2)
    return dt.datetime.combine(day, SUBMISSION_DEADLINE, tzinfo=ARXIV_TIMEZONE)


def batch_start(announcement: dt.datetime, holidays: Sequence[dt.date] = ()) -> dt.datetime:
    """The submission time an announcement's batch begins after: the deadline of the announcement before it."""
    previous = latest_announcement(announcement - dt.timedelta(minutes=1), holidays)
    return submission_deadline(previous) if previous else announcement - dt.timedelta(days=SEARCH_LIMIT_DAYS)


def expected_announcement(
    *, as_of: dt.datetime, grace: dt.timedelta, holidays: Sequence[dt.date] = ()
) -> dt.datetime | None:
    """The newest announcement a fetch at `as_of` should see: made at least `grace` before it."""
    return latest_announcement(as_of - grace, holidays)


def stale_feed_warning(
    *,
    papers: Sequence[FeedPaper],
    as_of: dt.datetime,
    grace: dt.timedelta,
    lookback: dt.timedelta,
    holidays: Sequence[dt.date] = (),
) -> str:
    """Say why the papers look older than arXiv's latest announcement, or return "".

    Only the newest announcement that should be visible is judged: the latest one
    made at least `grace` before `as_of` (and within the look-back). The fetch is
    fresh if it holds a paper of that announcement or of a later one: submitted
    after the batch before it began (API answers; arXiv lists a paper only once
    the version submitted then is announced), or announced at or after it
    (announcement feeds). Papers of a later announcement are no sign of a stale
    source even when the expected one's are missing (a saved answer of one
    announcement, read into a new archive). If none is there, the source is
    probably serving older data.
    """
    expected = expected_announcement(as_of=as_of, grace=grace, holidays=holidays)
    if expected is None or expected < as_of - lookback:
        return ""
    begins_after = batch_start(expected, holidays)
    for paper in papers:
        if paper.announced is not None:
            if paper.announced >= expected:
                return ""
        elif paper.updated > begins_after:
            return ""
    local = expected.astimezone(ARXIV_TIMEZONE)
    return (
        f"arXiv announced new papers on {local:%a %Y-%m-%d %H:%M} US Eastern, but this fetch found none of them; "
        "the source may be stale. Fetch again later; if arXiv skipped that announcement, add its date under "
        "arXiv holidays in the admin (or to DIGEST_ARXIV_HOLIDAYS)."
    )


# The warning above as `stale_feed_warning` writes it (English: the fetch run, the day's flag, the
# commands, the logs and alerts keep it so; a flag is recognised again by its exact text).
_STALE_FEED_WRITTEN = re.compile(
    r"arXiv announced new papers on \w+ (?P<eastern>\d{4}-\d\d-\d\d \d\d:\d\d) US Eastern, but this fetch found none "
    r"of them; the source may be stale\..*", re.DOTALL)


def stale_feed_warning_shown(warning: str) -> str | None:
    """A warning `stale_feed_warning` wrote, in the editor's language with the time in the site's zone (and the
    US Eastern date, which a holiday is entered by); None for any other text."""
    match = _STALE_FEED_WRITTEN.fullmatch(warning)
    if match is None:
        return None
    announced = dt.datetime.strptime(match["eastern"], "%Y-%m-%d %H:%M").replace(tzinfo=ARXIV_TIMEZONE)
    return _(
        "arXiv announced new papers at %(time)s (site time), but this fetch found none of them: the source may be "
        "stale. Fetch again later; if arXiv skipped that announcement, add its US Eastern date %(date)s under arXiv "
        "holidays (or to DIGEST_ARXIV_HOLIDAYS)."
    ) % {"time": date_format(localtime(announced), "Y-m-d H:i"), "date": match["eastern"][:10]}
