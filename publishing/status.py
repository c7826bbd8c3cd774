"""The description of a day that `digest_status` prints (a stable interface for scripts)."""

from __future__ import annotations

import datetime as dt

from papers.models import FetchRun
from publishing.models import DigestDay
from publishing.windows import digest_timezone, digest_window

NOT_COLLECTED = "not_collected"


def _local_iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(digest_timezone()).isoformat() if moment else None


def day_status(date: dt.date) -> dict:
    day = DigestDay.objects.with_counts().filter(date=date).first()
    window = (day.window_start, day.window_end) if day else (digest_window(date).start, digest_window(date).end)
    last_run = FetchRun.objects.filter(digest_date=date).order_by("-started_at", "-id").first()
    return {
        "date": date.isoformat(),
        "status": day.status if day else NOT_COLLECTED,
        "window_start": _local_iso(window[0]),
        "window_end": _local_iso(window[1]),
        "fetched": day.fetched if day else 0,
        "kept": day.kept if day else 0,
        "attention": (day.attention_reason or None) if day else None,
        "last_fetch": None
        if last_run is None
        else {
            "id": last_run.pk,
            "status": last_run.status,
            "source": last_run.source,
            "started_at": _local_iso(last_run.started_at),
            "finished_at": _local_iso(last_run.finished_at),
            "error": last_run.error or None,
            "warning": last_run.warning or None,
        },
    }
