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


def current_digest_date(now: dt.datetime | None = None) -> dt.date:
    """Today's digest date: the calendar date in the digest time zone.

    Before the anchor this is the day whose window is still open; collecting it
    early is safe, since papers that appear later go to the next day.
    """
    return (now or timezone.now()).astimezone(digest_timezone()).date()


def parse_digest_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date as YYYY-MM-DD") from None
