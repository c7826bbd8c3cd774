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
from publishing.days.selection import Action, ArchiveStart, Decision, SelectionRules, select_paper
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


def _newest_first(paper: FeedPaper) -> tuple:
    return (paper.announced or paper.published, paper.arxiv_id)


def _archive_start(*, window: DigestWindow, now: dt.datetime, holidays: Sequence[dt.date]) -> ArchiveStart | None:
    """Where a new archive begins: the announcement the stale-feed check expects its first fetch to see."""
    owed = expected_announcement(
        as_of=min(now, window.end), grace=dt.timedelta(hours=settings.DIGEST_VISIBILITY_GRACE_HOURS), holidays=holidays
    )
    return ArchiveStart(announcement=owed, submitted_after=batch_start(owed, holidays)) if owed else None


def _assign_papers(
    *, window: DigestWindow, since: dt.datetime, fetched: SourceResult, run: FetchRun, now, backfill: bool
) -> tuple:
    """Store the papers and give the day its new entries; runs inside the fetch's transaction.

    Steps:
    1. Store every fetched paper (its latest version).
    2. Open the day. If it is a new archive's first (no day existed) and no --backfill,
       it takes only the announcement it is owed and later ones (`ArchiveStart`): the
       look-back's earlier papers are recorded as before the archive began.
    3. Decide each paper (`select_paper`). A paper recorded as before the archive began
       counts as held at its version, like an entry; if this day could take it and the
       row is on this day or a later one, it is counted as left out, or with --backfill
       taken.
    4. Check the feed is not stale; flag or clear the day.
    """
    latest: dict[str, FeedPaper] = {}
    for paper in fetched.papers:
        known = latest.get(paper.arxiv_id)
        if known is None or (paper.version, paper.updated) > (known.version, known.updated):
            latest[paper.arxiv_id] = paper
    repeats = len(fetched.papers) - len(latest)

    upserted = papers_upsert_from_feed(feed_papers=latest.values(), run=run)
    holidays = ArxivHoliday.objects.known_dates()
    new_archive = not DigestDay.objects.exists()
    day = day_open(window=window)
    day = DigestDay.objects.select_for_update().get(pk=day.pk)
    if day.status not in DigestDay.OPEN_FOR_COLLECTION:
        raise CollectionError(f"{window.date} is {day.status}; unpublish it before collecting again")

    paper_ids = [paper.pk for paper in upserted.papers.values()]
    entry_versions: dict[int, list[int]] = {}
    for paper_id, version in Entry.objects.filter(paper_id__in=paper_ids).values_list("paper_id", "paper_version"):
        entry_versions.setdefault(paper_id, []).append(version)
    held_versions = {paper_id: list(versions) for paper_id, versions in entry_versions.items()}
    filtered_before: set[int] = set()
    # Papers before the archive began this day may take (recorded on it or on a later day): row ids.
    takeable_before_archive: dict[int, int] = {}
    for row_id, paper_id, version, before_archive, date in FilteredPaper.objects.filter(
        paper_id__in=paper_ids
    ).values_list("id", "paper_id", "paper_version", "before_archive", "day__date"):
        if not before_archive:
            filtered_before.add(paper_id)
            continue
        held_versions.setdefault(paper_id, []).append(version or 1)
        if date >= window.date:
            takeable_before_archive[paper_id] = row_id
    position = (day.entries.aggregate(last=Max("position"))["last"] or 0) + 1
    rules = SelectionRules.from_settings()
    archive_start = _archive_start(window=window, now=now, holidays=holidays) if new_archive and not backfill else None

    def decide(feed_paper: FeedPaper, paper_id: int, *, held: Sequence[int], archive: ArchiveStart | None) -> Decision:
        return select_paper(
            feed_paper,
            held_versions=held,
            filtered_before=paper_id in filtered_before,
            range_start=since,
            range_end=window.end,
            rules=rules,
            archive_start=archive,
        )

    kept = filtered = duplicates = outside = left_out = backfilled = 0
    for feed_paper in sorted(latest.values(), key=_newest_first, reverse=True):
        paper = upserted.papers[feed_paper.arxiv_id]
        decision = decide(feed_paper, paper.pk, held=held_versions.get(paper.pk, ()), archive=archive_start)
        if paper.pk in takeable_before_archive:
            # What this day would do had no day seen the paper: with --backfill, that is done.
            unheld = decide(feed_paper, paper.pk, held=entry_versions.get(paper.pk, ()), archive=None)
            if unheld.action in (Action.KEEP, Action.FILTER):
                if backfill:
                    FilteredPaper.objects.filter(pk=takeable_before_archive[paper.pk]).delete()
                    decision = unheld
                    backfilled += 1
                elif decision.action is not Action.KEEP:
                    left_out += 1
        if decision.action is Action.BEFORE_ARCHIVE:
            FilteredPaper.objects.create(
                day=day, paper=paper, paper_version=feed_paper.version, before_archive=True,
                reason=decision.reason[:255],
            )
            filtered += 1
            left_out += 1
        elif decision.action is Action.KEEP:
            Entry.objects.create(
                day=day, paper=paper, paper_version=feed_paper.version, kind=decision.kind, position=position
            )
            position += 1
            kept += 1
        elif decision.action is Action.FILTER:
            FilteredPaper.objects.create(
                day=day, paper=paper, paper_version=feed_paper.version, reason=decision.reason[:255]
            )
            filtered += 1
        elif decision.action is Action.DUPLICATE:
            duplicates += 1
        else:
            outside += 1

    warning = stale_feed_warning(
        papers=list(latest.values()),
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
    day.last_collected_at = now
    day.save(update_fields=["last_collected_at"])
    counts = FetchCounts(
        fetched=len(fetched.papers),
        kept=kept,
        duplicates=duplicates + repeats,
        filtered_out=filtered,
        outside_window=outside,
        papers_created=upserted.created,
        papers_updated=upserted.updated,
    )
    before_archive = BeforeArchive(
        left_out=left_out, backfilled=backfilled, begins=archive_start.announcement if archive_start else None
    )
    return day, counts, warning, before_archive


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
    if files and source != "file":
        raise CollectionError("--file reads saved feeds; do not combine it with --source api or rss")
    if source not in SOURCES:
        raise CollectionError(f"unknown source {source!r}; choose one of: api, rss (or give --file)")
    if source == "file" and not files:
        raise CollectionError("the file source needs at least one --file PATH")
    existing = DigestDay.objects.filter(date=date).first()
    if existing is not None and existing.status not in DigestDay.OPEN_FOR_COLLECTION:
        raise CollectionError(f"{date} is {existing.status}; unpublish it before collecting again")

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
            day, counts, warning, before_archive = _assign_papers(
                window=window, since=since, fetched=fetched, run=run, now=now, backfill=backfill
            )
            fetch_run_succeed(run=run, counts=counts, source_detail=detail, warning=warning)
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
    return CollectionResult(day=day, run=run, counts=counts, warning=warning, before_archive=before_archive)
