"""The description of a day that `digest_status` prints (a stable interface for scripts)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Sum

from digest_site import __version__
from digests.models import Digest
from papers.models import FetchRun
from publishing.days.pipeline import day_drafts
from publishing.days.schedule import workers_status
from publishing.days.windows import window_of
from publishing.models import DigestDay, Entry
from translations.llm import LLMConfig
from translations.models import MachineDraft

# A day's paper with no machine draft at all (e.g. no LLM configured yet).
DRAFT_MISSING = "missing"

NOT_COLLECTED = "not_collected"


def last_fetch_of(digest: Digest, date: dt.date) -> FetchRun | None:
    """The latest fetch for `date` that served the digest (FetchRun.serves), among the date's last 50."""
    runs = FetchRun.objects.filter(digest_date=date).order_by("-started_at", "-id")[:50]
    return next((run for run in runs if run.serves(digest)), None)


def _draft_counts(day: DigestDay | None) -> tuple[dict, dict]:
    counts = {status: 0 for status in MachineDraft.Status.values} | {DRAFT_MISSING: 0}
    tokens = {"input": 0, "output": 0}
    if day is None:
        return counts, tokens
    drafts = day_drafts(day)
    for draft in drafts.values():
        counts[draft.status if draft else DRAFT_MISSING] += 1
    totals = MachineDraft.objects.filter(paper_id__in=list(drafts)).aggregate(
        input=Sum("input_tokens"), output=Sum("output_tokens")
    )
    return counts, {name: total or 0 for name, total in totals.items()}


def _entry_counts(day: DigestDay | None) -> dict:
    counts = dict.fromkeys(Entry.State.values, 0)
    if day is not None:
        counts.update(day.entries.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return counts


def day_status(date: dt.date, digest: Digest | None = None) -> dict:
    """The digest's (the first digest's if none is named) day `date`, as `digest_status` prints it; times in
    the digest's time zone."""
    digest = digest or Digest.objects.home()
    day = (
        DigestDay.objects.with_counts().select_related("live_publication")
        .defer("live_publication__markdown", "live_publication__html").filter(date=date, digest=digest).first()
    )
    drafts, tokens = _draft_counts(day)
    llm_problem = LLMConfig.from_settings().problem
    workers = workers_status()
    window = (day.window_start, day.window_end) if day else (window_of(digest, date).start, window_of(digest, date).end)
    last_run = last_fetch_of(digest, date)

    def _local_iso(moment: dt.datetime | None) -> str | None:
        return moment.astimezone(digest.tz).isoformat() if moment else None

    return {
        "digest": digest.slug,
        "date": date.isoformat(),
        "status": day.status if day else NOT_COLLECTED,
        "window_start": _local_iso(window[0]),
        "window_end": _local_iso(window[1]),
        "fetched": day.fetched if day else 0,
        "kept": day.kept if day else 0,
        "attention": (day.attention_reason or None) if day else None,
        "drafts": drafts,
        "entries": _entry_counts(day),
        "published_version": day.live_publication.version if day and day.live_publication else None,
        "tokens": tokens,
        "llm": {"configured": not llm_problem, "problem": llm_problem or None},
        "workers": {"alive": workers.alive, "message": workers.message},
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
        "version": __version__,  # of the code that answered (arxiv-digest's, CHANGELOG.md)
    }
