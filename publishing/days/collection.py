"""Collecting a digest day: fetch from a source, store the papers, give the day its entries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from digest_site.database_errors import database_error_line
from papers.announcements import ARXIV_TIMEZONE, batch_start, expected_announcement, stale_feed_warning
from papers.arxiv_client import ArxivClient
from papers.feeds import FeedPaper
from papers.models import ArxivHoliday, FetchRun
from papers.services import (
    FetchCounts,
    fetch_run_fail,
    fetch_run_start,
    fetch_run_succeed,
    fetch_runs_fail_interrupted,
    papers_upsert_from_feed,
)
from papers.sources import (
    Progress,
    SourceError,
    SourceResult,
    fetch_from_api,
    fetch_from_rss,
    read_files,
)
from publishing.days.planning import (
    DayFacts,
    DayPlan,
    ExistingEntry,
    ExistingFilteredPaper,
    FetchedPaper,
    plan_day,
)
from publishing.days.selection import ArchiveStart, SelectionRules
from publishing.days.services import (
    COLLECT_STEP,
    day_clear_attention,
    day_flag_acknowledged,
    day_flag_attention,
    day_open,
)
from publishing.days.windows import DigestWindow, digest_window
from publishing.models import DigestDay, Entry, FilteredPaper

logger = logging.getLogger(__name__)

SOURCES = ("api", "rss", "file")


class CollectionError(Exception):
    """A collection failed; the message is one line, and `run` (if any) records the failure."""

    def __init__(self, message: str, *, run: FetchRun | None = None) -> None:
        super().__init__(message)
        self.run = run


@dataclass(frozen=True)
class BeforeArchive:
    """What a collection did with papers announced before the archive began."""

    left_out: int = 0  # papers this day could take with --backfill (recorded now, or by its earlier fetch)
    backfilled: int = 0  # such papers --backfill gave to this day
    begins: dt.datetime | None = None  # a new archive's first announcement, set by its first collection


@dataclass(frozen=True)
class CollectionResult:
    day: DigestDay
    run: FetchRun
    counts: FetchCounts
    warning: str
    before_archive: BeforeArchive = BeforeArchive()
    # Entries of the feed left out, one line each (an impossible date): recorded on the run beside the warning.
    refused: tuple[str, ...] = ()

    @property
    def run_warning(self) -> str:
        """What the fetch's record keeps as its warning: the day's warning, then each entry left out."""
        return "\n".join([self.warning, *self.refused]).strip()

    @property
    def summary(self) -> str:
        counts = self.counts
        line = (
            f"{self.day.date}: fetched {counts.fetched}, kept {counts.kept} new, "
            f"{counts.duplicates} already held, {counts.filtered_out} filtered out, "
            f"{counts.outside_window} outside the window; "
            f"papers created {counts.papers_created}, updated {counts.papers_updated} "
            f"(fetch #{self.run.pk}, {self.run.source})"
        )
        before = self.before_archive
        if before.left_out:
            since = (
                f" (before {before.begins.astimezone(ARXIV_TIMEZONE):%a %Y-%m-%d %H:%M} US Eastern, "
                "the newest announcement this first day is owed)" if before.begins else ""
            )
            line += (
                f"; left out {before.left_out} papers of the look-back announced before the archive began{since}: "
                f"fetch_papers --date {self.day.date} --backfill gives them to this day"
            )
        if before.backfilled:
            line += f"; {before.backfilled} papers from before the archive began taken (--backfill)"
        if self.refused:
            line += f"; {len(self.refused)} entries left out: {'; '.join(self.refused)}"
        return f"{line}; WARNING: {self.warning}" if self.warning else line


def _fetch(
    source: str, files: Sequence[str], window: DigestWindow, since: dt.datetime, now: dt.datetime, client, progress
) -> SourceResult:
    categories = settings.DIGEST_CATEGORIES
    if source == "file":
        return read_files(files, progress=progress)
    if source == "rss":
        return fetch_from_rss(categories=categories, client=client, progress=progress)
    # The API lists each paper once, at its latest version's date: asking past the window's
    # end (up to now, bounded for backfills) still finds papers replaced since the anchor.
    until = max(window.end, min(now, window.end + (window.end - since)))
    return fetch_from_api(categories=categories, since=since, until=until, client=client, progress=progress)


def _archive_start(*, window: DigestWindow, now: dt.datetime, holidays: Sequence[dt.date]) -> ArchiveStart | None:
    """Where a new archive begins: the announcement the stale-feed check expects its first fetch to see."""
    owed = expected_announcement(
        as_of=min(now, window.end), grace=dt.timedelta(hours=settings.DIGEST_VISIBILITY_GRACE_HOURS), holidays=holidays
    )
    return ArchiveStart(announcement=owed, submitted_after=batch_start(owed, holidays)) if owed else None


def _latest_versions(papers: Sequence[FeedPaper]) -> dict[str, FeedPaper]:
    """Each fetched paper once, at its latest version (a fetch may list a paper more than once)."""
    latest: dict[str, FeedPaper] = {}
    for paper in papers:
        known = latest.get(paper.arxiv_id)
        if known is None or (paper.version, paper.updated) > (known.version, known.updated):
            latest[paper.arxiv_id] = paper
    return latest


def _day_locked(window: DigestWindow) -> DigestDay:
    """The window's day, opened if need be and locked, so two collections of one day take turns."""
    day = day_open(window=window)
    day = DigestDay.objects.select_for_update().get(pk=day.pk)
    if day.status not in DigestDay.OPEN_FOR_COLLECTION:
        raise CollectionError(f"{window.date} is {day.status}; unpublish it before collecting again")
    return day


def _rows_held(paper_ids: Sequence[int]) -> tuple[list[ExistingEntry], list[ExistingFilteredPaper]]:
    """Every entry and filtered row, of any day, about the given papers."""
    entries = [
        ExistingEntry(paper_id=paper_id, version=version)
        for paper_id, version in Entry.objects.filter(paper_id__in=paper_ids).values_list("paper_id", "paper_version")
    ]
    filtered = [
        ExistingFilteredPaper(row_id=row_id, paper_id=paper_id, version=version, before_archive=before, date=date)
        for row_id, paper_id, version, before, date in FilteredPaper.objects.filter(paper_id__in=paper_ids).values_list(
            "id", "paper_id", "paper_version", "before_archive", "day__date"
        )
    ]
    return entries, filtered


def _plan_apply(plan: DayPlan, *, day: DigestDay) -> None:
    # Released rows go first: a paper has one filtered row at most, and --backfill may record it anew.
    if plan.released:
        FilteredPaper.objects.filter(pk__in=plan.released).delete()
    for entry in plan.entries:
        Entry.objects.create(
            day=day, paper_id=entry.paper_id, paper_version=entry.version, kind=entry.kind, position=entry.position
        )
    for row in plan.filtered:
        FilteredPaper.objects.create(
            day=day, paper_id=row.paper_id, paper_version=row.version, before_archive=row.before_archive,
            reason=row.reason[:255],
        )


def _check_fresh(
    *, day: DigestDay, papers: Sequence[FeedPaper], window: DigestWindow, since: dt.datetime, now: dt.datetime,
    holidays: Sequence[dt.date],
) -> str:
    """Flag the day if the feed missed the announcement it should show, or clear an earlier flag; the warning."""
    warning = stale_feed_warning(
        papers=list(papers),
        as_of=min(now, window.end),
        grace=dt.timedelta(hours=settings.DIGEST_VISIBILITY_GRACE_HOURS),
        lookback=window.end - since,
        holidays=holidays,
    )
    if not warning:
        day_clear_attention(day=day, step=COLLECT_STEP, reason="cleared: a fresh fetch saw the announcement")
    elif not day_flag_acknowledged(day=day, step=COLLECT_STEP, reason=warning):
        # A warning a chief editor acknowledged (arXiv skipped that announcement) stays on the run only.
        day_flag_attention(day=day, step=COLLECT_STEP, reason=warning)
    return warning


def _assign_papers(
    *, window: DigestWindow, since: dt.datetime, fetched: SourceResult, run: FetchRun, now: dt.datetime,
    backfill: bool,
) -> CollectionResult:
    """Store the papers and give the day its new entries; runs inside the fetch's transaction.

    Steps:
    1. Store every fetched paper (its latest version).
    2. Open and lock the day. If it is a new archive's first (no day existed) and no --backfill,
       it takes only the announcement it is owed and later ones (`ArchiveStart`).
    3. Load the entries and filtered rows already held for the fetched papers, and let `plan_day`
       decide each paper; then apply the plan.
    4. Check the feed is not stale; flag or clear the day.
    """
    latest = _latest_versions(fetched.papers)
    upserted = papers_upsert_from_feed(feed_papers=latest.values(), run=run)
    holidays = ArxivHoliday.objects.known_dates()
    new_archive = not DigestDay.objects.exists()
    day = _day_locked(window)

    entries, filtered = _rows_held([paper.pk for paper in upserted.papers.values()])
    archive_start = _archive_start(window=window, now=now, holidays=holidays) if new_archive and not backfill else None
    facts = DayFacts(
        date=window.date,
        range_start=since,
        range_end=window.end,
        rules=SelectionRules.from_settings(),
        last_position=day.entries.aggregate(last=Max("position"))["last"] or 0,
        archive_start=archive_start,
        backfill=backfill,
    )
    fetched_papers = [FetchedPaper(paper_id=upserted.papers[p.arxiv_id].pk, feed=p) for p in latest.values()]
    plan = plan_day(day=facts, fetched=fetched_papers, entries=entries, filtered=filtered)
    _plan_apply(plan, day=day)

    warning = _check_fresh(day=day, papers=latest.values(), window=window, since=since, now=now, holidays=holidays)
    day.last_collected_at = now
    day.save(update_fields=["last_collected_at"])
    counts = FetchCounts(
        fetched=len(fetched.papers),
        kept=plan.kept,
        # A paper the fetch listed twice counts once more as a duplicate.
        duplicates=plan.duplicates + len(fetched.papers) - len(latest),
        filtered_out=plan.filtered_out,
        outside_window=plan.outside_window,
        papers_created=upserted.created,
        papers_updated=upserted.updated,
    )
    before_archive = BeforeArchive(
        left_out=plan.left_out, backfilled=plan.backfilled,
        begins=archive_start.announcement if archive_start else None,
    )
    return CollectionResult(day=day, run=run, counts=counts, warning=warning, before_archive=before_archive,
                            refused=tuple(fetched.refused))


def _refuse_bad_request(*, date: dt.date, source: str, files: Sequence[str]) -> None:
    """Refuse, before any fetch is recorded, a source that cannot be read or a day that is closed."""
    if files and source != "file":
        raise CollectionError("--file reads saved feeds; do not combine it with --source api or rss")
    if source not in SOURCES:
        raise CollectionError(f"unknown source {source!r}; choose one of: api, rss (or give --file)")
    if source == "file" and not files:
        raise CollectionError("the file source needs at least one --file PATH")
    existing = DigestDay.objects.filter(date=date).first()
    if existing is not None and existing.status not in DigestDay.OPEN_FOR_COLLECTION:
        raise CollectionError(f"{date} is {existing.status}; unpublish it before collecting again")


def day_collect(
    *,
    date: dt.date,
    source: str = "api",
    files: Sequence[str] = (),
    client: ArxivClient | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    backfill: bool = False,
) -> CollectionResult:
    """Fetch the papers for `date` and add those no day holds yet; idempotent.

    The first collection into an archive with no days takes only the announcement
    its day is owed and later ones, recording the look-back's earlier papers as
    before the archive began; `backfill` takes them instead (also afterwards, for
    the day holding them or an earlier one).

    The network part runs first, outside any transaction; storing papers,
    entries and the run's result is then one transaction, so a failure leaves
    every earlier row as it was and the FetchRun records the error.
    """
    _refuse_bad_request(date=date, source=source, files=files)
    now = now or timezone.now()
    fetch_runs_fail_interrupted(now=now)
    window = digest_window(date)
    since = window.end - dt.timedelta(days=settings.DIGEST_LOOKBACK_DAYS)
    run = fetch_run_start(
        digest_date=date,
        window_start=window.start,
        window_end=window.end,
        query_start=since,
        source=source,
        categories=settings.DIGEST_CATEGORIES,
    )
    detail = ""
    try:
        fetched = _fetch(source, files, window, since, now, client, progress or (lambda received, expected: None))
        detail = "\n".join(fetched.requests)
        with transaction.atomic():
            result = _assign_papers(window=window, since=since, fetched=fetched, run=run, now=now, backfill=backfill)
            fetch_run_succeed(run=run, counts=result.counts, source_detail=detail, warning=result.run_warning)
    except (SourceError, CollectionError) as exc:
        run.refresh_from_db()
        fetch_run_fail(run=run, error=str(exc), source_detail=detail)
        raise CollectionError(str(exc), run=run) from None
    except IntegrityError as exc:
        run.refresh_from_db()
        message = f"another fetch stored the same papers at the same time; run it again ({exc})"
        fetch_run_fail(run=run, error=message, source_detail=detail)
        raise CollectionError(message, run=run) from exc
    except DatabaseError as exc:  # the database went away mid-fetch: the transaction rolled back
        message = f"the database failed during the fetch ({database_error_line(exc)}); nothing was stored"
        connection.close_if_unusable_or_obsolete()  # a broken connection is dropped; the next query reconnects
        try:
            run.refresh_from_db()
            fetch_run_fail(run=run, error=message, source_detail=detail)
        except DatabaseError:  # still away: the next fetch records this run as interrupted
            logger.error("could not record the failure of fetch #%s: the database is unreachable", run.pk)
        raise CollectionError(message, run=run) from None
    except Exception as exc:  # anything else (a bug): still recorded on the run
        logger.exception("fetch #%s for %s failed", run.pk, date)
        message = f"{exc.__class__.__name__}: {exc}"
        run.refresh_from_db()
        fetch_run_fail(run=run, error=message, source_detail=detail)
        raise CollectionError(message, run=run) from exc
    return result
