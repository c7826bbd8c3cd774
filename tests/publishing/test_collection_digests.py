"""One collection for two digests: each digest's own rules (categories, keywords, cross-lists) decide its papers,
and a digest whose day is published is left alone while the others are collected."""

import datetime as dt

import pytest

from digests.models import Digest
from digests.services import digest_add
from papers.models import FetchRun
from publishing.days.collection import CollectionError, day_collect
from publishing.models import DigestDay, Entry, FilteredPaper
from tests.builders import DEMO_FEED, home_digest_set
from tests.publishing.test_collection import sim_paper, write_feed

DATE = dt.date(2026, 1, 9)
IN_WINDOW = dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)  # inside 2026-01-09's window (08:50 Shanghai)
RSS = "rss2_2026-09-24_cs.LG+cs.AI+cs.CL+stat.ML_trimmed4.xml"


def held(digest: Digest) -> dict[str, str]:
    """The digest's entries: arXiv id → kind."""
    return dict(Entry.objects.filter(digest=digest).values_list("paper__arxiv_id", "kind"))


def filtered(digest: Digest) -> dict[str, str]:
    return dict(FilteredPaper.objects.filter(digest=digest).values_list("paper__arxiv_id", "reason"))


@pytest.fixture
def two_digests(db) -> tuple[Digest, Digest]:
    audio = home_digest_set(categories=["cs.SD", "eess.AS"])
    nlp = digest_add(slug="nlp", name="NLP", categories=["cs.CL"])
    return audio, nlp


def test_a_digest_whose_day_is_published_is_left_alone_while_the_others_are_collected(two_digests, tmp_path):
    audio, nlp = two_digests
    DigestDay.objects.create(digest=audio, date=DATE, window_start=IN_WINDOW, window_end=IN_WINDOW,
                             status=DigestDay.Status.PUBLISHED)
    collection = day_collect(date=DATE, source="file", files=[DEMO_FEED])
    assert [result.day.digest for result in collection.results] == [nlp]
    assert collection.skipped == ("[daily] 2026-01-09 is published; left alone (unpublish it before collecting again)",)
    assert collection.summary_lines[0].startswith("[nlp] 2026-01-09: fetched 1, kept 1 new")
    assert held(audio) == {} and held(nlp) == {"2601.90007": "new"}
    assert set(FetchRun.objects.get().digest_counts) == {"nlp"}

    DigestDay.objects.filter(digest=nlp).update(status=DigestDay.Status.PUBLISHED)
    with pytest.raises(CollectionError, match="2026-01-09 is published for every digest"):
        day_collect(date=DATE, source="file", files=[DEMO_FEED])


def test_keywords_are_each_digests_own(two_digests, tmp_path):
    audio, nlp = two_digests
    home_digest_set(include_keywords=["speech"])
    nlp.exclude_keywords = ["speech"]
    nlp.save()
    feed = write_feed(tmp_path, "feed.xml", [
        sim_paper("2601.00001", IN_WINDOW, primary="cs.CL", categories=["cs.CL", "cs.SD"], title="Speech translation"),
        sim_paper("2601.00002", IN_WINDOW, primary="cs.CL", categories=["cs.CL", "cs.SD"], title="Music tagging"),
    ])
    day_collect(date=DATE, source="file", files=[feed])
    assert held(audio) == {"2601.00001": "cross"}
    assert filtered(audio) == {"2601.00002": "mentions none of the digest's include keywords"}
    assert held(nlp) == {"2601.00002": "new"}
    assert filtered(nlp) == {"2601.00001": "mentions excluded keyword 'speech'"}


@pytest.mark.parametrize("policy, audio_holds, audio_filters", [
    (Digest.CrossLists.INCLUDE, {"2601.00001": "new", "2601.00002": "cross"}, set()),
    (Digest.CrossLists.PRIMARY_ONLY, {"2601.00001": "new"}, {"2601.00002"}),
    (Digest.CrossLists.NEW_ONLY, {"2601.00001": "new"}, {"2601.00002"}),
])
def test_the_cross_list_policy_is_each_digests_own(two_digests, tmp_path, policy, audio_holds, audio_filters):
    audio, nlp = two_digests
    home_digest_set(cross_lists=policy)
    feed = write_feed(tmp_path, "feed.xml", [
        sim_paper("2601.00001", IN_WINDOW, primary="cs.SD", categories=["cs.SD", "cs.CL"]),
        sim_paper("2601.00002", IN_WINDOW, primary="cs.CL", categories=["cs.CL", "cs.SD"]),
    ])
    day_collect(date=DATE, source="file", files=[feed])
    assert held(audio) == audio_holds and set(filtered(audio)) == audio_filters
    # The other digest keeps its own policy (cross-lists in): the paper audio's policy dropped is new to it.
    assert held(nlp) == {"2601.00001": "cross", "2601.00002": "new"}


def test_a_feeds_new_or_cross_is_judged_again_by_each_digests_own_categories(db, arxiv_payloads):
    """The RSS feed says "new" or "cross" for the categories it was asked (every digest's at once)."""
    learning = home_digest_set(categories=["cs.LG"])
    ai = digest_add(slug="ai", name="AI", categories=["cs.AI"])
    day_collect(date=dt.date(2026, 9, 24), source="file", files=[str(arxiv_payloads / RSS)])
    # 2609.26820 is announced "new" (cs.LG, cross-listed in cs.AI): new to cs.LG, a cross-list to cs.AI.
    assert held(learning) == {"2609.26811": "new", "2609.26820": "new"}
    assert held(ai) == {"2609.26820": "cross"}


def test_a_digest_added_later_starts_its_own_archive_without_taking_the_other_digests_past(db, tmp_path):
    audio = home_digest_set(categories=["cs.SD", "eess.AS"])
    earlier = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    feed = write_feed(tmp_path, "first.xml", [sim_paper("2601.00001", earlier, primary="cs.CL",
                                                        categories=["cs.CL", "cs.SD"])])
    day_collect(date=dt.date(2026, 1, 8), source="file", files=[feed])
    nlp = digest_add(slug="nlp", name="NLP", categories=["cs.CL"])
    feed = write_feed(tmp_path, "second.xml", [
        sim_paper("2601.00001", earlier, primary="cs.CL", categories=["cs.CL", "cs.SD"]),
        sim_paper("2601.00002", IN_WINDOW, primary="cs.CL", categories=["cs.CL", "cs.SD"]),
    ])
    collection = day_collect(date=DATE, source="file", files=[feed])
    assert held(audio) == {"2601.00001": "cross", "2601.00002": "cross"}
    assert DigestDay.objects.get(digest=audio, entries__paper__arxiv_id="2601.00001").date == dt.date(2026, 1, 8)
    # The new digest's first day: the paper the first digest already held is not a duplicate for it.
    assert "2601.00002" in held(nlp)
    assert collection.result_for(nlp).counts.duplicates == 0


def test_a_paper_another_digest_had_drafted_enters_a_new_digests_day_in_review_and_is_not_drafted_again(
        two_digests, tmp_path, django_capture_on_commit_callbacks):
    from publishing.days.pipeline import day_start_drafting
    from tests.builders import demo_texts_recorded

    audio, nlp = two_digests
    Digest.objects.filter(pk=nlp.pk).update(categories=["cs.AI"])  # none of the demo feed's papers yet
    audio_day = day_collect(date=DATE, source="file", files=[DEMO_FEED]).result_for(audio).day
    with django_capture_on_commit_callbacks(execute=True):
        demo_texts_recorded(audio_day)
    # The newsroom widens the second digest: the next collection gives it a paper the first has translated.
    Digest.objects.filter(pk=nlp.pk).update(categories=["cs.CL"])
    nlp.refresh_from_db()
    nlp_day = day_collect(date=DATE, source="file", files=[DEMO_FEED]).result_for(nlp).day
    states = list(nlp_day.entries.values_list("state", flat=True))
    assert states and set(states) == {Entry.State.IN_REVIEW}  # their text exists: no draft is coming to move them
    start = day_start_drafting(day=nlp_day, enqueue=False)
    assert (start.queued, start.done) == (0, len(states))
    nlp_day.refresh_from_db()
    assert nlp_day.status == DigestDay.Status.IN_REVIEW
