"""The collection planner on plain data: no test here may touch the database (none is marked django_db,
so pytest-django refuses any query), which is what keeps `plan_day` pure."""

import datetime as dt
from dataclasses import replace

from papers.feeds import FeedPaper
from publishing.days.planning import (
    DayFacts,
    EntryToAdd,
    ExistingEntry,
    ExistingFilteredPaper,
    FetchedPaper,
    FilteredPaperToRecord,
    plan_day,
)
from publishing.days.selection import ArchiveStart, SelectionRules

DATE = dt.date(2026, 1, 9)
WINDOW_END = dt.datetime(2026, 1, 9, 0, 50, tzinfo=dt.UTC)
LOOKBACK_START = WINDOW_END - dt.timedelta(days=4)
RULES = SelectionRules(categories=("cs.SD", "eess.AS"))
RULES_WITH_REPLACEMENTS = replace(RULES, announce_types=("new", "cross", "replace", "replace-cross"))


def fetched(paper_id, hours_ago=10, *, version=1, updated_hours_ago=None, primary="cs.SD", categories=None,
            title="Listening to rooms"):
    """A paper as the API lists it: submitted `hours_ago` hours before the window's end."""
    published = WINDOW_END - dt.timedelta(hours=hours_ago)
    updated = WINDOW_END - dt.timedelta(hours=updated_hours_ago) if updated_hours_ago is not None else published
    return FetchedPaper(
        paper_id=paper_id,
        feed=FeedPaper(
            arxiv_id=f"2601.{paper_id:05d}", version=version, title=title, authors=(), primary_category=primary,
            categories=tuple(categories or [primary]), abstract="", published=published, updated=updated,
        ),
    )


def day(**changes) -> DayFacts:
    return replace(DayFacts(date=DATE, range_start=LOOKBACK_START, range_end=WINDOW_END, rules=RULES), **changes)


def before_archive_row(paper_id, *, date=DATE, version=1, row_id=70):
    return ExistingFilteredPaper(row_id=row_id, paper_id=paper_id, version=version, before_archive=True, date=date)


def test_papers_no_day_holds_become_entries_of_their_kind():
    plan = plan_day(day=day(), fetched=[fetched(1), fetched(2, primary="cs.LG", categories=["cs.LG", "eess.AS"])])

    assert {(entry.paper_id, entry.kind) for entry in plan.entries} == {(1, "new"), (2, "cross")}
    assert (plan.kept, plan.duplicates, plan.filtered_out, plan.outside_window) == (2, 0, 0, 0)


def test_a_paper_already_new_in_an_earlier_day_enters_as_nothing():
    plan = plan_day(day=day(), fetched=[fetched(1)], entries=[ExistingEntry(paper_id=1, version=1)])

    assert plan.entries == () and plan.filtered == ()
    assert plan.duplicates == 1


def test_a_new_version_of_a_held_paper_enters_as_a_replacement_only_when_the_rules_ask():
    revised = fetched(1, hours_ago=24 * 20, version=2, updated_hours_ago=5)
    held = [ExistingEntry(paper_id=1, version=1)]

    plain = plan_day(day=day(), fetched=[revised], entries=held)
    asked = plan_day(day=day(rules=RULES_WITH_REPLACEMENTS), fetched=[revised], entries=held)

    assert plain.entries == () and plain.duplicates == 1
    assert asked.entries == (EntryToAdd(paper_id=1, version=2, kind="replace", position=1),)


def test_a_replacement_the_day_already_holds_at_that_version_enters_as_nothing():
    revised = fetched(1, hours_ago=24 * 20, version=2, updated_hours_ago=5)
    held = [ExistingEntry(paper_id=1, version=1), ExistingEntry(paper_id=1, version=2)]

    plan = plan_day(day=day(rules=RULES_WITH_REPLACEMENTS), fetched=[revised], entries=held)

    assert plan.entries == () and plan.duplicates == 1


def test_a_filtered_paper_is_recorded_once_with_its_reason():
    elsewhere = fetched(1, primary="math.AG")

    first = plan_day(day=day(), fetched=[elsewhere])
    again = plan_day(
        day=day(),
        fetched=[elsewhere],
        filtered=[ExistingFilteredPaper(row_id=5, paper_id=1, version=1, before_archive=False, date=DATE)],
    )

    assert first.filtered == (
        FilteredPaperToRecord(paper_id=1, version=1, reason="not in the chosen categories (math.AG)"),
    )
    assert first.filtered_out == 1 and first.entries == ()
    assert again.filtered == () and again.duplicates == 1


def test_positions_continue_after_the_days_entries_newest_paper_first():
    plan = plan_day(day=day(last_position=4), fetched=[fetched(1, hours_ago=30), fetched(2, hours_ago=2),
                                                       fetched(3, hours_ago=12)])

    assert [(entry.paper_id, entry.position) for entry in plan.entries] == [(2, 5), (3, 6), (1, 7)]


def test_papers_outside_the_look_back_are_counted_and_not_added():
    plan = plan_day(day=day(), fetched=[fetched(1, hours_ago=24 * 5), fetched(2, hours_ago=-3)])

    assert plan.entries == () and plan.filtered == ()
    assert plan.outside_window == 2


def test_a_new_archives_first_day_records_earlier_papers_as_before_the_archive():
    start = ArchiveStart(announcement=WINDOW_END - dt.timedelta(hours=6),
                         submitted_after=WINDOW_END - dt.timedelta(hours=24))

    plan = plan_day(day=day(archive_start=start), fetched=[fetched(1, hours_ago=30), fetched(2, hours_ago=10)])

    assert [entry.paper_id for entry in plan.entries] == [2]
    assert [(row.paper_id, row.before_archive) for row in plan.filtered] == [(1, True)]
    assert plan.filtered[0].reason.startswith("before the archive began")
    assert (plan.left_out, plan.filtered_out, plan.backfilled) == (1, 1, 0)


def test_a_paper_before_the_archive_is_left_out_of_its_day_unless_backfill():
    paper, row = fetched(1), before_archive_row(1, row_id=70)

    left = plan_day(day=day(), fetched=[paper], filtered=[row])
    taken = plan_day(day=day(backfill=True), fetched=[paper], filtered=[row])

    assert left.entries == () and left.released == () and left.duplicates == 1
    assert left.left_out == 1
    assert taken.released == (70,) and taken.backfilled == 1 and taken.left_out == 0
    assert taken.entries == (EntryToAdd(paper_id=1, version=1, kind="new", position=1),)


def test_backfill_records_anew_a_paper_before_the_archive_that_the_filters_drop():
    plan = plan_day(day=day(backfill=True), fetched=[fetched(1, primary="math.AG")], filtered=[before_archive_row(1)])

    assert plan.released == (70,)
    assert [(row.paper_id, row.before_archive) for row in plan.filtered] == [(1, False)]


def test_a_paper_before_the_archive_recorded_on_an_earlier_day_is_not_this_days_to_take():
    row = before_archive_row(1, date=DATE - dt.timedelta(days=1))

    plan = plan_day(day=day(backfill=True), fetched=[fetched(1)], filtered=[row])

    assert plan.released == () and plan.entries == ()
    assert (plan.duplicates, plan.left_out) == (1, 0)


def test_a_paper_before_the_archive_is_held_at_its_version_so_a_newer_one_enters_as_a_replacement():
    revised = fetched(1, hours_ago=24 * 20, version=2, updated_hours_ago=5)

    plan = plan_day(day=day(rules=RULES_WITH_REPLACEMENTS), fetched=[revised], filtered=[before_archive_row(1)])

    assert plan.entries == (EntryToAdd(paper_id=1, version=2, kind="replace", position=1),)
    # Kept anyway, so not left out; its record stays.
    assert plan.left_out == 0 and plan.released == ()
