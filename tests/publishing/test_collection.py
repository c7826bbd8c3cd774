import datetime as dt
from pathlib import Path

import pytest

from papers.models import FetchRun, Paper
from publishing.days.collection import CollectionError
from publishing.models import DigestDay, Entry, FilteredPaper
from tests.builders import DEMO_FEED, collect_single, home_digest_set
from tests.fake_arxiv import SimPaper, SimulatedArxiv, atom_feed
from tests.local_server import Reply

DEMO_DATE = dt.date(2026, 1, 9)


def snapshot() -> dict:
    """Everything a fetch may write, except the FetchRun audit rows."""
    return {
        "papers": list(Paper.objects.order_by("arxiv_id").values()),
        "days": list(DigestDay.objects.order_by("date").values()),
        "entries": list(Entry.objects.order_by("id").values()),
        "filtered": list(FilteredPaper.objects.order_by("id").values()),
    }


def sim_paper(arxiv_id, published, *, primary="cs.SD", categories=None, version=1, updated=None, title=None):
    published = published if published.tzinfo else published.replace(tzinfo=dt.UTC)
    return SimPaper(
        arxiv_id=arxiv_id,
        version=version,
        title=title or f"Paper {arxiv_id}",
        primary=primary,
        categories=categories or [primary],
        published=published,
        updated=updated or published,
        visible_at=published,
    )


def write_feed(tmp_path, name, papers, total=None) -> str:
    path = tmp_path / name
    path.write_bytes(atom_feed(papers, total=len(papers) if total is None else total, start=0))
    return str(path)


@pytest.mark.django_db
def test_demo_feed_collects_the_day_with_its_window_and_counts():
    result = collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED)])

    day = DigestDay.objects.with_counts().get(date=DEMO_DATE)
    assert day.window_start.isoformat() == "2026-01-08T00:50:00+00:00"  # 08:50 Asia/Shanghai
    assert day.window_end.isoformat() == "2026-01-09T00:50:00+00:00"
    assert (day.fetched, day.kept) == (6, 6)
    assert day.status == DigestDay.Status.COLLECTING
    assert result.counts.fetched == 7 and result.counts.kept == 6 and result.counts.outside_window == 1
    positions = list(day.entries.order_by("position").values_list("paper__arxiv_id", flat=True))
    assert positions == ["2601.90008", "2601.90007", "2601.90006", "2601.90005", "2601.90004", "2601.90003"]
    assert Entry.objects.get(paper__arxiv_id="2601.90007").kind == Entry.Kind.CROSS
    # The revised old paper is stored (what arXiv gave us) but not digested.
    assert Paper.objects.get(arxiv_id="2507.90002").version == 2
    assert not Entry.objects.filter(paper__arxiv_id="2507.90002").exists()
    assert result.run.status == FetchRun.Status.SUCCEEDED and not result.warning


@pytest.mark.django_db
def test_second_identical_fetch_adds_and_changes_nothing():
    collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED)])
    before = snapshot()
    again = collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED)])

    after = snapshot()
    for day_before, day_after in zip(before["days"], after["days"], strict=True):
        day_before.pop("last_collected_at"), day_after.pop("last_collected_at")
    assert after == before
    assert (again.counts.kept, again.counts.duplicates, again.counts.papers_created, again.counts.papers_updated) == (
        0, 6, 0, 0,
    )
    assert FetchRun.objects.count() == 2


@pytest.mark.django_db
def test_failed_fetch_changes_no_stored_data_and_records_the_error(tmp_path):
    collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED)])
    before = snapshot()
    broken = tmp_path / "broken.xml"
    broken.write_bytes(Path(DEMO_FEED).read_bytes()[:3000])

    with pytest.raises(CollectionError, match="malformed XML") as failure:
        collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED), str(broken)])

    assert snapshot() == before
    run = failure.value.run
    run.refresh_from_db()
    assert run.status == FetchRun.Status.FAILED and "malformed XML" in run.error and run.finished_at


@pytest.mark.django_db
def test_failure_while_storing_rolls_back_every_write(tmp_path, monkeypatch):
    """A crash after papers were written (here: while adding entries) leaves nothing behind."""
    before = snapshot()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(FilteredPaper.objects, "create", explode)
    feed = write_feed(
        tmp_path,
        "mixed.xml",
        [
            sim_paper("2601.00001", dt.datetime(2026, 1, 8, 10)),
            sim_paper("2601.00002", dt.datetime(2026, 1, 8, 11), primary="math.AG", categories=["math.AG"]),
        ],
    )
    with pytest.raises(CollectionError, match="disk full"):
        collect_single(date=DEMO_DATE, source="file", files=[feed])

    assert snapshot() == before
    assert FetchRun.objects.get().status == FetchRun.Status.FAILED


@pytest.mark.django_db
def test_new_version_updates_the_stored_paper_without_a_new_entry(tmp_path):
    published = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    first = write_feed(tmp_path, "v1.xml", [sim_paper("2601.00001", published)])
    second = write_feed(
        tmp_path,
        "v2.xml",
        [sim_paper("2601.00001", published, version=2, updated=published + dt.timedelta(days=1), title="Better title")],
    )
    collect_single(date=dt.date(2026, 1, 9), source="file", files=[first])
    result = collect_single(date=dt.date(2026, 1, 10), source="file", files=[second])

    paper = Paper.objects.get(arxiv_id="2601.00001")
    assert (paper.version, paper.title) == (2, "Better title")
    assert paper.abs_url == "https://arxiv.org/abs/2601.00001v2"
    assert list(Entry.objects.values_list("day__date", "paper_version")) == [(dt.date(2026, 1, 9), 1)]
    assert result.counts.papers_updated == 1 and result.counts.duplicates == 1


@pytest.mark.django_db
def test_older_version_never_overwrites_a_newer_one(tmp_path):
    published = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    newer = write_feed(tmp_path, "v2.xml", [sim_paper("2601.00001", published, version=2, title="Second")])
    older = write_feed(tmp_path, "v1.xml", [sim_paper("2601.00001", published, title="First")])
    collect_single(date=dt.date(2026, 1, 9), source="file", files=[newer])
    collect_single(date=dt.date(2026, 1, 9), source="file", files=[older])
    assert Paper.objects.get().title == "Second"


@pytest.mark.django_db
def test_keyword_and_primary_only_filters_are_recorded_for_the_day(tmp_path):
    home_digest_set(cross_lists="primary_only", exclude_keywords=["survey"])
    at = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    feed = write_feed(
        tmp_path,
        "mixed.xml",
        [
            sim_paper("2601.00001", at),
            sim_paper("2601.00002", at, primary="cs.CL", categories=["cs.CL", "cs.SD"]),
            sim_paper("2601.00003", at, title="A Survey of Speech Codecs"),
        ],
    )
    result = collect_single(date=dt.date(2026, 1, 9), source="file", files=[feed])

    assert list(Entry.objects.values_list("paper__arxiv_id", flat=True)) == ["2601.00001"]
    reasons = dict(FilteredPaper.objects.values_list("paper__arxiv_id", "reason"))
    assert "primary category cs.CL is not one of the digest's" in reasons["2601.00002"]
    assert "survey" in reasons["2601.00003"]
    day = DigestDay.objects.with_counts().get()
    assert (day.fetched, day.kept) == (3, 1)
    assert (result.counts.kept, result.counts.filtered_out) == (1, 2)
    # A filtered paper is not offered to the next day either.
    home_digest_set(cross_lists="include", exclude_keywords=[])
    collect_single(date=dt.date(2026, 1, 10), source="file", files=[feed])
    assert Entry.objects.count() == 1


@pytest.mark.django_db
def test_include_keywords_keep_only_matching_papers(tmp_path):
    home_digest_set(include_keywords=["speech"])
    at = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    feed = write_feed(
        tmp_path, "f.xml", [sim_paper("2601.00001", at, title="Speech things"), sim_paper("2601.00002", at)]
    )
    collect_single(date=dt.date(2026, 1, 9), source="file", files=[feed])
    assert list(Entry.objects.values_list("paper__arxiv_id", flat=True)) == ["2601.00001"]


@pytest.mark.django_db
def test_cross_listed_papers_are_kept_by_default(tmp_path):
    at = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    feed = write_feed(tmp_path, "f.xml", [sim_paper("2601.00002", at, primary="cs.CL", categories=["cs.CL", "cs.SD"])])
    collect_single(date=dt.date(2026, 1, 9), source="file", files=[feed])
    assert Entry.objects.get().kind == Entry.Kind.CROSS


@pytest.mark.django_db
def test_papers_submitted_after_the_window_wait_for_their_day(tmp_path):
    """A backfill of an earlier day does not take papers that belong to later days."""
    feed = write_feed(
        tmp_path,
        "f.xml",
        [
            sim_paper("2601.00001", dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)),
            sim_paper("2601.00009", dt.datetime(2026, 1, 9, 10, tzinfo=dt.UTC)),
        ],
    )
    collect_single(date=dt.date(2026, 1, 9), source="file", files=[feed])
    collect_single(date=dt.date(2026, 1, 10), source="file", files=[feed])
    assert dict(Entry.objects.values_list("paper__arxiv_id", "day__date")) == {
        "2601.00001": dt.date(2026, 1, 9),
        "2601.00009": dt.date(2026, 1, 10),
    }


@pytest.mark.django_db
def test_rss_and_api_fetches_share_one_digest_without_duplicates(arxiv_payloads, tmp_path):
    home_digest_set(categories=["cs.LG", "stat.ML"])
    collect_single(
        date=dt.date(2026, 9, 24), source="file", files=[str(arxiv_payloads / "rss2_2026-09-24_cs.LG+cs.AI+cs.CL+stat.ML_trimmed4.xml")]
    )
    rss_entries = set(Entry.objects.values_list("paper__arxiv_id", flat=True))
    assert rss_entries == {"2609.26811", "2609.26820", "2205.06398"}  # the replacement did not enter
    assert Entry.objects.get(paper__arxiv_id="2205.06398").kind == "cross"

    api_view = write_feed(
        tmp_path,
        "api.xml",
        [sim_paper("2609.26811", dt.datetime(2026, 9, 22, 15, tzinfo=dt.UTC), primary="cs.LG")],
    )
    result = collect_single(date=dt.date(2026, 9, 25), source="file", files=[api_view])
    assert result.counts.kept == 0 and result.counts.duplicates == 1
    assert Entry.objects.count() == 3
    # The API's exact submission time replaces the announcement date the feed gave.
    assert Paper.objects.get(arxiv_id="2609.26811").published == dt.datetime(2026, 9, 22, 15, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_weekday_fetch_that_misses_the_announcement_flags_the_day(local_server, settings):
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    # Only papers of the week before: the API is serving stale data on Friday 2026-01-09.
    arxiv.papers.append(sim_paper("2601.00001", dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)))
    arxiv.now = dt.datetime(2026, 1, 9, 1, 0, tzinfo=dt.UTC)
    result = collect_single(date=dt.date(2026, 1, 9), now=arxiv.now)

    day = DigestDay.objects.get(date=dt.date(2026, 1, 9))
    assert day.status == DigestDay.Status.NEEDS_ATTENTION
    assert "Wed 2026-01-07 20:00" in day.attention_reason and "stale" in day.attention_reason
    assert result.run.warning == day.attention_reason

    # Once fresh papers appear, fetching again clears the flag.
    arxiv.papers.append(sim_paper("2601.00002", dt.datetime(2026, 1, 7, 16, tzinfo=dt.UTC)))
    collect_single(date=dt.date(2026, 1, 9), now=arxiv.now + dt.timedelta(hours=1))
    day.refresh_from_db()
    assert day.status == DigestDay.Status.COLLECTING and day.attention_reason == ""


@pytest.mark.django_db
def test_quiet_weekend_fetch_is_not_flagged(local_server, settings):
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    # Thursday evening's announcement was taken by Saturday's day; Sunday's window has none.
    arxiv.papers.append(sim_paper("2601.00001", dt.datetime(2026, 1, 8, 16, tzinfo=dt.UTC)))
    arxiv.now = dt.datetime(2026, 1, 10, 1, 0, tzinfo=dt.UTC)
    collect_single(date=dt.date(2026, 1, 10), now=arxiv.now)
    arxiv.now = dt.datetime(2026, 1, 11, 1, 0, tzinfo=dt.UTC)
    result = collect_single(date=dt.date(2026, 1, 11), now=arxiv.now)

    assert result.counts.kept == 0 and not result.warning
    assert DigestDay.objects.get(date=dt.date(2026, 1, 11)).status == DigestDay.Status.COLLECTING


@pytest.mark.django_db
def test_http_failure_fails_the_run_and_keeps_data(local_server, settings):
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    settings.ARXIV_HTTP_RETRIES = 1
    collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED)])
    before = snapshot()
    local_server.handler = lambda request: Reply(status=503, body=b"busy", headers={"Content-Type": "text/plain"})

    with pytest.raises(CollectionError, match="HTTP 503"):
        collect_single(date=DEMO_DATE, source="api")

    assert snapshot() == before
    assert FetchRun.objects.filter(status=FetchRun.Status.FAILED, error__contains="HTTP 503").count() == 1
    assert len(local_server.requests) == 2


@pytest.mark.django_db
def test_unknown_source_is_refused_before_anything_runs():
    with pytest.raises(CollectionError, match="unknown source 'ftp'"):
        collect_single(date=DEMO_DATE, source="ftp")
    assert not FetchRun.objects.exists()


@pytest.mark.django_db
def test_published_day_refuses_new_papers():
    collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED)])
    DigestDay.objects.filter(date=DEMO_DATE).update(status=DigestDay.Status.PUBLISHED)
    with pytest.raises(CollectionError, match="unpublish"):
        collect_single(date=DEMO_DATE, source="file", files=[str(DEMO_FEED)])


@pytest.mark.django_db
def test_a_saved_answer_of_the_newest_announcement_read_into_a_new_archive_is_not_flagged(tmp_path):
    # Friday 2026-06-05: the anchor (Thu 20:50 EDT) comes 50 minutes after Thursday's announcement, so the
    # stale check expects Wednesday's; the file holds Thursday's batch only, which is newer, not stale.
    feed = write_feed(
        tmp_path, "thursday.xml",
        [sim_paper("2606.00001", dt.datetime(2026, 6, 4, 16)), sim_paper("2606.00002", dt.datetime(2026, 6, 4, 17))],
    )
    result = collect_single(date=dt.date(2026, 6, 5), source="file", files=[feed])

    assert result.warning == "" and result.counts.kept == 2
    assert DigestDay.objects.get().status == DigestDay.Status.COLLECTING


@pytest.mark.django_db
def test_an_entry_with_an_impossible_date_is_left_out_and_the_fetch_records_why(tmp_path):
    """feedparser read 2026-13-45T99:99:99Z as 2027-01-01 and the paper was stored with that date."""
    feed = tmp_path / "impossible-date.xml"
    feed.write_bytes(Path(DEMO_FEED).read_bytes().replace(b"<published>2026-01-07T17:42:10Z</published>",
                                                    b"<published>2026-13-45T99:99:99Z</published>"))
    result = collect_single(date=DEMO_DATE, source="file", files=[str(feed)])

    run = FetchRun.objects.get()
    assert run.status == FetchRun.Status.SUCCEEDED
    assert "entry 1 (2601.90008) left out: its published date '2026-13-45T99:99:99Z' is no real day" in run.warning
    assert "1 entries left out: " in result.summary
    assert not Paper.objects.filter(arxiv_id="2601.90008").exists()
    assert Paper.objects.count() == 6 and result.counts.kept == 5  # nothing else is lost


@pytest.mark.django_db
def test_a_surrogate_character_reference_fails_the_fetch_in_one_recorded_line_without_a_traceback(tmp_path, caplog):
    """feedparser's lenient parser raised UnicodeEncodeError on &#xD800;: logged with its traceback as a bug."""
    feed = tmp_path / "surrogate.xml"
    feed.write_bytes(Path(DEMO_FEED).read_bytes().replace(b"</summary>", b" &#xD800;</summary>", 1))
    with pytest.raises(CollectionError) as excinfo:
        collect_single(date=DEMO_DATE, source="file", files=[str(feed)])

    message = str(excinfo.value)
    assert "malformed XML: a character reference names no character" in message and "\n" not in message
    assert FetchRun.objects.get().error == message
    assert not [record for record in caplog.records if record.exc_info]
