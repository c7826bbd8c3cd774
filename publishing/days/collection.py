"""Collecting a digest day: fetch from a source, store the papers, give the day its entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from digest_site.database_errors import database_error_line
from digests.models import Digest
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
from publishing.days.windows import DigestWindow, window_of
from publishing.models import DigestDay, Entry, FilteredPaper
from translations.models import MachineDraft, Revision

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


@dataclass(frozen=True)
class DigestCollection:
    """One digest's part in a collection: its day's window and the look-back its day searches."""

    digest: Digest
    window: DigestWindow
    since: dt.datetime
    rules: SelectionRules

    @classmethod
    def of(cls, digest: Digest, date: dt.date) -> DigestCollection:
        window = window_of(digest, date)
        return cls(digest=digest, window=window, since=window.end - dt.timedelta(days=settings.DIGEST_LOOKBACK_DAYS),
                   rules=SelectionRules.for_digest(digest))


@dataclass(frozen=True)
class Collection:
    """What one fetch did for every digest it served: one result per digest, in the digests' order."""

    run: FetchRun
    results: tuple[CollectionResult, ...]
    # Digests whose day was closed (published): not collected, one line each.
    skipped: tuple[str, ...] = ()

    @property
    def single(self) -> CollectionResult:
        """The result of a collection for one digest."""
        (result,) = self.results
        return result

    def result_for(self, digest: Digest) -> CollectionResult:
        return next(result for result in self.results if result.day.digest_id == digest.pk)

    @property
    def several(self) -> bool:
        return len(self.results) + len(self.skipped) > 1

    @property
    def summary_lines(self) -> list[str]:
        """A line per digest (named when there are several), then each digest left alone."""
        if not self.several:
            return [result.summary for result in self.results]
        return [f"[{result.day.digest.slug}] {result.summary}" for result in self.results] + list(self.skipped)


def _fetch(
    source: str, files: Sequence[str], parts: Sequence[DigestCollection], categories: Sequence[str],
    now: dt.datetime, client, progress,
) -> SourceResult:
    """One fetch for every digest: the union of their categories, from the earliest look-back on."""
    if source == "file":
        return read_files(files, progress=progress)
    if source == "rss":
        return fetch_from_rss(categories=categories, client=client, progress=progress)
    # The API lists each paper once, at its latest version's date: asking past the window's
    # end (up to now, bounded for backfills) still finds papers replaced since the anchor.
    since = min(part.since for part in parts)
    window_end = max(part.window.end for part in parts)
    until = max(window_end, min(now, window_end + (window_end - since)))
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


def _day_locked(part: DigestCollection) -> DigestDay:
    """The digest's day of the window, opened if need be and locked, so two collections of one day take turns."""
    day = day_open(window=part.window, digest=part.digest)
    day = DigestDay.objects.select_for_update().get(pk=day.pk)
    if day.status not in DigestDay.OPEN_FOR_COLLECTION:
        raise CollectionError(f"{part.window.date} is {day.status}; unpublish it before collecting again")
    return day


def _rows_held(digest: Digest, paper_ids: Sequence[int]) -> tuple[list[ExistingEntry], list[ExistingFilteredPaper]]:
    """Every entry and filtered row of the digest's days about the given papers."""
    entries = [
        ExistingEntry(paper_id=paper_id, version=version)
        for paper_id, version in Entry.objects.filter(digest=digest, paper_id__in=paper_ids).values_list(
            "paper_id", "paper_version")
    ]
    filtered = [
        ExistingFilteredPaper(row_id=row_id, paper_id=paper_id, version=version, before_archive=before, date=date)
        for row_id, paper_id, version, before, date in FilteredPaper.objects.filter(
            digest=digest, paper_id__in=paper_ids).values_list(
            "id", "paper_id", "paper_version", "before_archive", "day__date"
        )
    ]
    return entries, filtered


def _papers_with_text(entries: Sequence) -> set[int]:
    """Of the papers about to enter a day, those whose Chinese text exists already for the version entering:
    drafted (and perhaps edited) for another digest's entry. Their entries start in review: no draft is
    coming that would move them there."""
    versions = {entry.paper_id: entry.version for entry in entries}
    drafted = set(MachineDraft.objects.filter(paper_id__in=versions).succeeded()
                  .values_list("paper_id", "paper_version"))
    with_text = set(Revision.objects.filter(paper_id__in=versions).values_list("paper_id", flat=True))
    return {paper_id for paper_id, version in versions.items() if (paper_id, version) in drafted
            and paper_id in with_text}


def _plan_apply(plan: DayPlan, *, day: DigestDay) -> None:
    # Released rows go first: a paper has one filtered row at most, and --backfill may record it anew.
    if plan.released:
        FilteredPaper.objects.filter(pk__in=plan.released).delete()
    with_text = _papers_with_text(plan.entries)
    for entry in plan.entries:
        Entry.objects.create(
            day=day, digest_id=day.digest_id, paper_id=entry.paper_id, paper_version=entry.version, kind=entry.kind,
            position=entry.position,
            state=Entry.State.IN_REVIEW if entry.paper_id in with_text else Entry.State.AWAITING_DRAFT,
        )
    for row in plan.filtered:
        FilteredPaper.objects.create(
            day=day, digest_id=day.digest_id, paper_id=row.paper_id, paper_version=row.version,
            before_archive=row.before_archive, reason=row.reason[:255],
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


@dataclass(frozen=True)
class _Fetched:
    """What a fetch brought, stored once for every digest it serves."""

    latest: dict[str, FeedPaper]  # each paper once, at its latest version
    paper_ids: dict[str, int]  # arXiv id → the stored paper's id
    listed_twice: int  # entries of the fetch that repeated a paper
    # Papers none of the digests' categories list (a saved file may hold any): each digest records them
    # as filtered out, so every fetched paper is accounted for.
    in_no_digest: frozenset[str]


def _assign_to_digest(
    *, part: DigestCollection, fetched: _Fetched, run: FetchRun, now: dt.datetime, backfill: bool,
    holidays: Sequence[dt.date], refused: Sequence[str],
) -> CollectionResult:
    """Give the digest's day its new entries from what the fetch stored; runs inside the fetch's transaction.

    Steps:
    1. Open and lock the digest's day. If it is the digest's first (no day of it existed) and no
       --backfill, it takes only the announcement it is owed and later ones (`ArchiveStart`).
    2. Of the fetched papers, take those listed in the digest's categories; load the digest's entries
       and filtered rows already held for them, and let `plan_day` decide each paper; apply the plan.
    3. Check the feed is not stale; flag or clear the day.
    """
    new_archive = not DigestDay.objects.filter(digest=part.digest).exists()
    day = _day_locked(part)
    papers = [paper for arxiv_id, paper in fetched.latest.items()
              if arxiv_id in fetched.in_no_digest or part.rules.concerns(paper)]
    paper_ids = [fetched.paper_ids[paper.arxiv_id] for paper in papers]
    entries, filtered = _rows_held(part.digest, paper_ids)
    archive_start = (_archive_start(window=part.window, now=now, holidays=holidays)
                     if new_archive and not backfill else None)
    facts = DayFacts(
        date=part.window.date,
        range_start=part.since,
        range_end=part.window.end,
        rules=part.rules,
        last_position=day.entries.aggregate(last=Max("position"))["last"] or 0,
        archive_start=archive_start,
        backfill=backfill,
    )
    fetched_papers = [FetchedPaper(paper_id=fetched.paper_ids[p.arxiv_id], feed=p) for p in papers]
    plan = plan_day(day=facts, fetched=fetched_papers, entries=entries, filtered=filtered)
    _plan_apply(plan, day=day)

    # Staleness is the feed's: judged on everything it brought, whichever digest lists it.
    warning = _check_fresh(day=day, papers=list(fetched.latest.values()), window=part.window, since=part.since,
                           now=now, holidays=holidays)
    day.last_collected_at = now
    day.save(update_fields=["last_collected_at"])
    counts = FetchCounts(
        fetched=len(papers) + fetched.listed_twice,
        kept=plan.kept,
        # A paper the fetch listed twice counts once more as a duplicate.
        duplicates=plan.duplicates + fetched.listed_twice,
        filtered_out=plan.filtered_out,
        outside_window=plan.outside_window,
    )
    before_archive = BeforeArchive(
        left_out=plan.left_out, backfilled=plan.backfilled,
        begins=archive_start.announcement if archive_start else None,
    )
    return CollectionResult(day=day, run=run, counts=counts, warning=warning, before_archive=before_archive,
                            refused=tuple(refused))


def _store_fetched(*, fetched: SourceResult, run: FetchRun, rules: Sequence[SelectionRules]) -> tuple[_Fetched,
                                                                                                         FetchCounts]:
    """Store the fetched papers; `rules` are every digest's (not only those collected now): a paper another
    digest lists is that digest's business, not filtered out by the digests collected now."""
    latest = _latest_versions(fetched.papers)
    upserted = papers_upsert_from_feed(feed_papers=latest.values(), run=run)
    stored = _Fetched(
        latest=latest, paper_ids={arxiv_id: paper.pk for arxiv_id, paper in upserted.papers.items()},
        listed_twice=len(fetched.papers) - len(latest),
        in_no_digest=frozenset(arxiv_id for arxiv_id, paper in latest.items()
                               if not any(digest_rules.concerns(paper) for digest_rules in rules)),
    )
    return stored, FetchCounts(fetched=len(fetched.papers), papers_created=upserted.created,
                               papers_updated=upserted.updated)


def _run_counts(stored: FetchCounts, results: Sequence[CollectionResult]) -> FetchCounts:
    """The fetch's record: what it received and stored once, and what the digests' days made of it, summed."""
    return FetchCounts(
        fetched=stored.fetched,
        kept=sum(result.counts.kept for result in results),
        duplicates=sum(result.counts.duplicates for result in results),
        filtered_out=sum(result.counts.filtered_out for result in results),
        outside_window=sum(result.counts.outside_window for result in results),
        papers_created=stored.papers_created,
        papers_updated=stored.papers_updated,
    )


def _refuse_bad_request(*, source: str, files: Sequence[str]) -> None:
    """Refuse, before any fetch is recorded, a source that cannot be read."""
    if files and source != "file":
        raise CollectionError("--file reads saved feeds; do not combine it with --source api or rss")
    if source not in SOURCES:
        raise CollectionError(f"unknown source {source!r}; choose one of: api, rss (or give --file)")
    if source == "file" and not files:
        raise CollectionError("the file source needs at least one --file PATH")


def _open_parts(date: dt.date, digests: Sequence[Digest]) -> tuple[list[DigestCollection], list[str]]:
    """The digests whose day may still be collected, and a line for each whose day is closed. Refused
    (CollectionError) when no digest's day is open: nothing would be fetched for anyone."""
    closed = dict(DigestDay.objects.filter(date=date, digest__in=digests).exclude(
        status__in=DigestDay.OPEN_FOR_COLLECTION).values_list("digest_id", "status"))
    if len(closed) == len(digests):
        status = next(iter(closed.values()))
        names = "" if len(digests) == 1 else " for every digest"
        raise CollectionError(f"{date} is {status}{names}; unpublish it before collecting again")
    parts = [DigestCollection.of(digest, date) for digest in digests if digest.pk not in closed]
    skipped = [f"[{digest.slug}] {date} is {closed[digest.pk]}; left alone (unpublish it before collecting again)"
               for digest in digests if digest.pk in closed]
    return parts, skipped


def day_collect(
    *,
    date: dt.date,
    digests: Sequence[Digest] | None = None,
    source: str = "api",
    files: Sequence[str] = (),
    client: ArxivClient | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    backfill: bool = False,
) -> Collection:
    """Fetch the papers for `date` once for every digest (or those named) and give each digest's day the
    papers none of its days holds yet; idempotent.

    One fetch serves every digest: the union of their categories, from the earliest look-back on
    (arXiv is asked once); each digest then selects its own papers by its own rules, and the rule
    that every announced paper lands in exactly one day holds per digest. A digest whose day is
    published is left alone (and named in the result).

    The first collection into a digest with no days takes only the announcement its day is owed
    and later ones, recording the look-back's earlier papers as before the archive began;
    `backfill` takes them instead (also afterwards, for the day holding them or an earlier one).

    The network part runs first, outside any transaction; storing papers, entries and the run's
    result is then one transaction, so a failure leaves every earlier row as it was and the
    FetchRun records the error.
    """
    _refuse_bad_request(source=source, files=files)
    digests = list(digests) if digests else list(Digest.objects.all()) or [Digest.objects.home()]
    parts, skipped = _open_parts(date, digests)
    now = now or timezone.now()
    fetch_runs_fail_interrupted(now=now)
    categories = list(dict.fromkeys(category for part in parts for category in part.digest.categories))
    run = fetch_run_start(
        digest_date=date,
        window_start=min(part.window.start for part in parts),
        window_end=max(part.window.end for part in parts),
        query_start=min(part.since for part in parts),
        source=source,
        categories=categories,
    )
    detail = ""
    try:
        fetched = _fetch(source, files, parts, categories, now, client, progress or (lambda received, expected: None))
        detail = "\n".join(fetched.requests)
        with transaction.atomic():
            every_digest = [SelectionRules.for_digest(digest) for digest in Digest.objects.all()]
            stored, stored_counts = _store_fetched(fetched=fetched, run=run,
                                                   rules=every_digest + [part.rules for part in parts])
            holidays = ArxivHoliday.objects.known_dates()
            results = tuple(_assign_to_digest(part=part, fetched=stored, run=run, now=now, backfill=backfill,
                                              holidays=holidays, refused=fetched.refused) for part in parts)
            counts = _run_counts(stored_counts, results)
            results = tuple(dataclasses.replace(result, counts=dataclasses.replace(
                result.counts, papers_created=counts.papers_created, papers_updated=counts.papers_updated))
                for result in results)
            warning = "\n".join(dict.fromkeys(result.run_warning for result in results if result.run_warning))
            fetch_run_succeed(run=run, counts=counts, source_detail=detail, warning=warning,
                              digest_counts={result.day.digest.slug: dataclasses.asdict(result.counts)
                                             for result in results})
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
    return Collection(run=run, results=results, skipped=tuple(skipped))
