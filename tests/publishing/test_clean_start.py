"""A new installation starts clean: its first day takes the newest announcement it is owed, not the whole
look-back; the look-back's earlier papers are recorded as before the archive began, and --backfill takes them."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from papers.feeds import FeedPaper
from publishing.days.selection import Action, ArchiveStart, SelectionRules, select_paper
from publishing.models import DigestDay, Entry, FilteredPaper
from tests.fake_arxiv import SimPaper, SimulatedArxiv
from tests.publishing.test_week_simulation import announcement_for

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_DAY = dt.date(2026, 1, 16)  # a Friday in Beijing; its anchor is Thursday 19:50 EST
# The newest announcement at least DIGEST_VISIBILITY_GRACE_HOURS (4) before that anchor: the one it is owed.
OWED = dt.datetime(2026, 1, 14, 20, tzinfo=NEW_YORK)


def fetch_time(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(8, 50, 20), tzinfo=SHANGHAI)


@pytest.fixture
def arxiv(local_server, settings) -> SimulatedArxiv:
    """Five submissions a day from 2026-01-07 to 2026-01-21, each visible 30 minutes after its announcement."""
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    settings.DIGEST_LOOKBACK_DAYS = 7
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    number = 0
    for offset in range(15):
        for hour in (3, 9, 13, 17, 22):
            number += 1
            submitted = dt.datetime(2026, 1, 7 + offset, hour, tzinfo=dt.UTC)
            visible = announcement_for(submitted) + dt.timedelta(minutes=30)
            arxiv.papers.append(SimPaper(f"2601.{number:05d}", 1, f"Paper {number}", "cs.SD", ["cs.SD"], submitted,
                                         submitted, visible))
    return arxiv


def fetch(arxiv: SimulatedArxiv, date: dt.date, *options: str) -> str:
    arxiv.now = fetch_time(date)
    out = StringIO()
    call_command("fetch_papers", "--date", f"{date}", *options, stdout=out, stderr=StringIO())
    return out.getvalue()


def look_back_of_first_day(arxiv: SimulatedArxiv) -> dict[str, dt.datetime]:
    """Papers the first fetch sees in its look-back, with the announcement that carried each."""
    since = fetch_time(FIRST_DAY) - dt.timedelta(days=7, seconds=20)
    return {
        paper.arxiv_id: announcement_for(paper.published)
        for paper in arxiv.papers
        if since <= paper.published and paper.visible_at <= fetch_time(FIRST_DAY)
    }


def entries_of(date: dt.date) -> set[str]:
    return set(Entry.objects.filter(day__date=date).values_list("paper__arxiv_id", flat=True))


@pytest.mark.django_db
def test_a_new_installations_first_fetch_takes_only_the_newest_announcement_and_says_how_many_it_left(arxiv):
    seen = look_back_of_first_day(arxiv)
    owed = {arxiv_id for arxiv_id, announced in seen.items() if announced == OWED}
    earlier = set(seen) - owed
    assert len({seen[arxiv_id] for arxiv_id in earlier}) == 3, "the look-back holds three earlier announcements"

    summary = fetch(arxiv, FIRST_DAY)

    assert entries_of(FIRST_DAY) == owed
    before = FilteredPaper.objects.filter(before_archive=True)
    assert set(before.values_list("paper__arxiv_id", flat=True)) == earlier
    assert {row.day.date for row in before} == {FIRST_DAY}
    assert "before the archive began" in before.first().reason
    assert f"left out {len(earlier)} papers of the look-back announced before the archive began" in summary
    assert "Wed 2026-01-14 20:00 US Eastern" in summary
    assert f"fetch_papers --date {FIRST_DAY} --backfill gives them to this day" in summary
    day = DigestDay.objects.with_counts().get(date=FIRST_DAY)
    # The post's counts are the day's own: papers of days the archive does not have are not "fetched" by it.
    assert (day.fetched, day.kept) == (len(owed), len(owed))
    assert day.status == DigestDay.Status.COLLECTING

    # The week goes on by the usual rule: every later paper lands once, none from before the archive began.
    week = [FIRST_DAY + dt.timedelta(days=offset) for offset in range(1, 7)]
    for date in week:
        fetch(arxiv, date)
    landed = list(Entry.objects.values_list("paper__arxiv_id", flat=True))
    assert len(landed) == len(set(landed))
    visible_later = {paper.arxiv_id for paper in arxiv.papers
                     if announcement_for(paper.published) >= OWED and paper.visible_at <= fetch_time(week[-1])}
    assert set(landed) == visible_later and not set(landed) & earlier

    again = fetch(arxiv, FIRST_DAY)  # the first day fetched again still leaves them out, and says so
    assert f"left out {len(earlier)} papers" in again and entries_of(FIRST_DAY) == owed


@pytest.mark.django_db
def test_backfill_on_a_new_installation_takes_the_whole_look_back(arxiv):
    summary = fetch(arxiv, FIRST_DAY, "--backfill")

    assert entries_of(FIRST_DAY) == set(look_back_of_first_day(arxiv))
    assert not FilteredPaper.objects.exists()
    assert "left out" not in summary


@pytest.mark.django_db
def test_backfill_after_a_clean_start_gives_the_left_out_papers_to_the_first_day(arxiv):
    seen = look_back_of_first_day(arxiv)
    fetch(arxiv, FIRST_DAY)
    fetch(arxiv, FIRST_DAY + dt.timedelta(days=1))
    later_day = entries_of(FIRST_DAY + dt.timedelta(days=1))

    summary = fetch(arxiv, FIRST_DAY, "--backfill")

    assert entries_of(FIRST_DAY) == set(seen)
    assert entries_of(FIRST_DAY + dt.timedelta(days=1)) == later_day
    assert not FilteredPaper.objects.filter(before_archive=True).exists()
    earlier = sum(1 for announced in seen.values() if announced < OWED)
    assert f"{earlier} papers from before the archive began taken (--backfill)" in summary
    # Taken after the day's own entries, newest first among themselves.
    taken = Entry.objects.filter(day__date=FIRST_DAY).order_by("position").values_list("paper__published", flat=True)
    assert list(taken)[-earlier:] == sorted(list(taken)[-earlier:], reverse=True)


@pytest.mark.django_db
def test_run_daily_backfill_takes_the_whole_look_back_too(arxiv):
    arxiv.now = fetch_time(FIRST_DAY)
    call_command("run_daily", "--date", f"{FIRST_DAY}", "--backfill", stdout=StringIO(), stderr=StringIO())
    assert entries_of(FIRST_DAY) == set(look_back_of_first_day(arxiv))


@pytest.mark.django_db
def test_a_revision_of_a_paper_from_before_the_archive_reenters_as_a_replacement_when_asked(arxiv, settings):
    settings.DIGEST_ANNOUNCE_TYPES = ["new", "cross", "replace", "replace-cross"]
    old = next(paper for paper in arxiv.papers if paper.published == dt.datetime(2026, 1, 12, 9, tzinfo=dt.UTC))
    fetch(arxiv, FIRST_DAY)
    assert FilteredPaper.objects.get(paper__arxiv_id=old.arxiv_id).before_archive
    revised = dt.datetime(2026, 1, 16, 9, tzinfo=dt.UTC)  # announced Friday's batch, on Sunday evening
    arxiv.papers.append(SimPaper(old.arxiv_id, 2, "Revised", "cs.SD", ["cs.SD"], old.published, revised,
                                 announcement_for(revised) + dt.timedelta(minutes=30)))
    for offset in range(1, 6):
        fetch(arxiv, FIRST_DAY + dt.timedelta(days=offset))
    entry = Entry.objects.get(paper__arxiv_id=old.arxiv_id)
    assert (entry.kind, entry.paper_version) == ("replace", 2)


def feed_paper(announced: dt.datetime) -> FeedPaper:
    return FeedPaper(arxiv_id="2601.00001", version=1, title="T", authors=(), primary_category="cs.SD",
                     categories=("cs.SD",), abstract="A", published=announced, updated=announced, announced=announced,
                     announce_type="new")


def test_an_announcement_feed_paper_is_before_the_archive_when_announced_before_its_first_announcement():
    start = ArchiveStart(announcement=OWED, submitted_after=dt.datetime(2026, 1, 13, 14, tzinfo=NEW_YORK))
    common = dict(held_versions=(), filtered_before=False, range_start=OWED - dt.timedelta(days=7),
                  range_end=OWED + dt.timedelta(days=1), rules=SelectionRules(categories=("cs.SD",)), archive_start=start)
    tuesday_feed = feed_paper(dt.datetime(2026, 1, 14, 0, tzinfo=NEW_YORK))  # the feed dates it after midnight
    wednesday_feed = feed_paper(dt.datetime(2026, 1, 15, 0, tzinfo=NEW_YORK))
    assert select_paper(tuesday_feed, **common).action is Action.BEFORE_ARCHIVE
    assert select_paper(wednesday_feed, **common).action is Action.KEEP
