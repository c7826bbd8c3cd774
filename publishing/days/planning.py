"""What one collection does to a day: a pure plan over what the fetch found and what the database holds.

The writer (`collection.py`) loads the facts, calls `plan_day` and creates the rows the plan lists;
nothing here touches the database, so every rule of who enters the day is testable on plain data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from papers.feeds import FeedPaper
from publishing.days.selection import Action, ArchiveStart, Decision, SelectionRules, select_paper

# The actions by which a day takes a paper as its own: an entry, or a filtered row of the day.
TAKES = (Action.KEEP, Action.FILTER)


# What the planner is given.


@dataclass(frozen=True)
class DayFacts:
    """The day being collected."""

    date: dt.date
    range_start: dt.datetime  # the look-back's start: the fetch's `since`
    range_end: dt.datetime  # the window's end
    rules: SelectionRules
    last_position: int = 0  # the highest position among the day's entries (0: none yet)
    # Set on a new archive's first collection without --backfill: the announcement the day is owed.
    archive_start: ArchiveStart | None = None
    backfill: bool = False


@dataclass(frozen=True)
class FetchedPaper:
    """A paper the fetch found, at its latest version, with the id it is stored under."""

    paper_id: int
    feed: FeedPaper


@dataclass(frozen=True)
class ExistingEntry:
    """An entry some day already gives one of the fetched papers."""

    paper_id: int
    version: int


@dataclass(frozen=True)
class ExistingFilteredPaper:
    """A filtered row some day already recorded for one of the fetched papers."""

    row_id: int
    paper_id: int
    version: int | None  # empty on rows recorded before versions were kept
    before_archive: bool
    date: dt.date  # the day it is recorded on


# What the planner returns.


@dataclass(frozen=True)
class EntryToAdd:
    paper_id: int
    version: int
    kind: str
    position: int


@dataclass(frozen=True)
class FilteredPaperToRecord:
    paper_id: int
    version: int
    reason: str
    before_archive: bool = False


@dataclass(frozen=True)
class DayPlan:
    """Exactly what the writer does to the day, in this order: release, then add."""

    # Before-archive rows (ids) --backfill gives to this day; deleted before the rows below are added,
    # since a paper has one filtered row at most.
    released: tuple[int, ...] = ()
    entries: tuple[EntryToAdd, ...] = ()
    filtered: tuple[FilteredPaperToRecord, ...] = ()
    duplicates: int = 0  # papers a day already holds
    outside_window: int = 0  # papers that are not this day's business (`Action.SKIP`)
    left_out: int = 0  # papers before the archive began that --backfill would give to this day

    @property
    def kept(self) -> int:
        return len(self.entries)

    @property
    def filtered_out(self) -> int:
        # Papers before the archive began are recorded as filtered rows, and counted with them.
        return len(self.filtered)

    @property
    def backfilled(self) -> int:
        return len(self.released)


# Per paper: what the database holds about it, and what becomes of it.


@dataclass(frozen=True)
class _Held:
    entry_versions: tuple[int, ...] = ()
    # A paper recorded before the archive began is held at its version, like an entry.
    before_archive_versions: tuple[int, ...] = ()
    filtered_out: bool = False  # a day's filters dropped it: it is no later day's business
    # Its before-archive row, when that row is on this day or a later one: this day may take the paper.
    takeable_row: int | None = None

    @property
    def versions(self) -> tuple[int, ...]:
        return self.entry_versions + self.before_archive_versions


_NOTHING_HELD = _Held()


@dataclass(frozen=True)
class _PaperPlan:
    decision: Decision  # what the day does with the paper
    left_out: bool = False
    released_row: int | None = None


def _held_by_paper(
    entries: Sequence[ExistingEntry], filtered: Sequence[ExistingFilteredPaper], date: dt.date
) -> dict[int, _Held]:
    held: dict[int, _Held] = {}
    for entry in entries:
        known = held.get(entry.paper_id, _NOTHING_HELD)
        held[entry.paper_id] = replace(known, entry_versions=(*known.entry_versions, entry.version))
    for row in filtered:
        known = held.get(row.paper_id, _NOTHING_HELD)
        if not row.before_archive:
            held[row.paper_id] = replace(known, filtered_out=True)
            continue
        held[row.paper_id] = replace(
            known,
            before_archive_versions=(*known.before_archive_versions, row.version or 1),
            takeable_row=row.row_id if row.date >= date else known.takeable_row,
        )
    return held


def _select(
    paper: FeedPaper, held: _Held, day: DayFacts, *, versions: Sequence[int], archive_start: ArchiveStart | None
) -> Decision:
    return select_paper(
        paper,
        held_versions=versions,
        filtered_before=held.filtered_out,
        range_start=day.range_start,
        range_end=day.range_end,
        rules=day.rules,
        archive_start=archive_start,
    )


def _plan_paper(paper: FeedPaper, held: _Held, day: DayFacts) -> _PaperPlan:
    decision = _select(paper, held, day, versions=held.versions, archive_start=day.archive_start)
    if held.takeable_row is None:
        return _PaperPlan(decision, left_out=decision.action is Action.BEFORE_ARCHIVE)
    # Recorded before the archive began, on this day or a later one: the second question is what
    # this day would do had no day seen the paper. --backfill does that; without it, the paper is
    # left out unless the day keeps it anyway (a newer version entering as a replacement).
    unheld = _select(paper, held, day, versions=held.entry_versions, archive_start=None)
    if unheld.action not in TAKES:
        return _PaperPlan(decision, left_out=decision.action is Action.BEFORE_ARCHIVE)
    if day.backfill:
        return _PaperPlan(unheld, released_row=held.takeable_row)
    return _PaperPlan(decision, left_out=decision.action is not Action.KEEP)


def _newest_first(paper: FetchedPaper) -> tuple:
    return (paper.feed.announced or paper.feed.published, paper.feed.arxiv_id)


_Planned = list[tuple[FetchedPaper, _PaperPlan]]


def _entries_to_add(plans: _Planned, *, after: int) -> tuple[EntryToAdd, ...]:
    kept = [(paper, plan.decision) for paper, plan in plans if plan.decision.action is Action.KEEP]
    return tuple(
        EntryToAdd(paper_id=paper.paper_id, version=paper.feed.version, kind=decision.kind, position=position)
        for position, (paper, decision) in enumerate(kept, start=after + 1)
    )


def _filtered_to_record(plans: _Planned) -> tuple[FilteredPaperToRecord, ...]:
    return tuple(
        FilteredPaperToRecord(
            paper_id=paper.paper_id,
            version=paper.feed.version,
            reason=plan.decision.reason,
            before_archive=plan.decision.action is Action.BEFORE_ARCHIVE,
        )
        for paper, plan in plans
        if plan.decision.action in (Action.FILTER, Action.BEFORE_ARCHIVE)
    )


def plan_day(
    *,
    day: DayFacts,
    fetched: Sequence[FetchedPaper],
    entries: Sequence[ExistingEntry] = (),
    filtered: Sequence[ExistingFilteredPaper] = (),
) -> DayPlan:
    """Plan what a collection adds to `day`, given the fetched papers and the rows already held for them.

    `fetched` holds each paper once (its latest version); `entries` and `filtered` are every row,
    of any day, about those papers.

    Steps:
    1. Gather per paper what is held: the versions its entries hold, whether a day filtered it out,
       and a row recording it before the archive began (held at its version, like an entry; this day
       may take the paper if that row is on this day or a later one).
    2. Decide each paper once, newest first (`select_paper`). For a paper this day may take from
       before the archive, also ask what the day would do had no day seen it: with --backfill that
       is the decision and its row is released; without, the paper is counted as left out.
    3. Turn the decisions into rows: kept papers become entries, numbered on from the day's last
       position; filtered papers and papers before the archive began become filtered rows;
       duplicates and papers outside the window are counted.
    """
    held = _held_by_paper(entries, filtered, day.date)
    plans: _Planned = [
        (paper, _plan_paper(paper.feed, held.get(paper.paper_id, _NOTHING_HELD), day))
        for paper in sorted(fetched, key=_newest_first, reverse=True)
    ]
    actions = Counter(plan.decision.action for _, plan in plans)
    return DayPlan(
        released=tuple(plan.released_row for _, plan in plans if plan.released_row is not None),
        entries=_entries_to_add(plans, after=day.last_position),
        filtered=_filtered_to_record(plans),
        duplicates=actions[Action.DUPLICATE],
        outside_window=actions[Action.SKIP],
        left_out=sum(plan.left_out for _, plan in plans),
    )
