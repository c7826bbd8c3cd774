"""Digest dates and their time windows (pure functions of the settings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class DigestWindow:
    date: dt.date
    start: dt.datetime
    end: dt.datetime

    @property
    def anchor_label(self) -> str:
        return f"{self.end:%H:%M}"


def digest_timezone() -> ZoneInfo:
    return ZoneInfo(settings.DIGEST_TIMEZONE)


def digest_window(date: dt.date, *, anchor: dt.time | None = None, tz: ZoneInfo | None = None) -> DigestWindow:
    """Day D runs from the anchor on D-1 to the anchor on D, in the digest time zone."""
    anchor = anchor or settings.DIGEST_ANCHOR
    tz = tz or digest_timezone()
    return DigestWindow(
        date=date,
        start=dt.datetime.combine(date - dt.timedelta(days=1), anchor, tzinfo=tz),
        end=dt.datetime.combine(date, anchor, tzinfo=tz),
    )


def window_of(digest, date: dt.date) -> DigestWindow:
    """A digest's (digests.Digest) window for `date`: its own anchor and time zone."""
    return digest_window(date, anchor=digest.anchor, tz=digest.tz)


def current_digest_date(now: dt.datetime | None = None, *, tz: ZoneInfo | None = None) -> dt.date:
    """Today's digest date: the calendar date in the digest time zone (`tz`: a digest's own, `Digest.tz`).

    Before the anchor this is the day whose window is still open; collecting it
    early is safe, since papers that appear later go to the next day.
    """
    return (now or timezone.now()).astimezone(tz or digest_timezone()).date()


# arXiv's first paper was announced in August 1991: no digest day can come before it.
FIRST_DIGEST_DATE = dt.date(1991, 8, 14)
# A day's window closes at its anchor, so a day more than this far ahead cannot hold a paper yet.
MAX_DAYS_AHEAD = 2


def parse_digest_date(text: str | None, *, today: dt.date | None = None) -> dt.date:
    """A digest date given as YYYY-MM-DD; None means today's. Dates before arXiv began or more than
    MAX_DAYS_AHEAD days from today are refused (ValueError saying why), as is an empty string."""
    today = today or current_digest_date()
    if text is None:
        return today
    try:
        date = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date as YYYY-MM-DD") from None
    if date < FIRST_DIGEST_DATE:
        raise ValueError(f"{date} is before arXiv's first announcement ({FIRST_DIGEST_DATE})")
    if date > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValueError(f"{date} is more than {MAX_DAYS_AHEAD} days after today ({today}); no paper can be in it yet")
    return date
