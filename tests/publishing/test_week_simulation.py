"""Simulated weeks of daily fetches against a fake arXiv API served over HTTP.

arXiv is modelled independently of the code under test: submissions before 14:00
US Eastern on a weekday are announced at 20:00 Eastern (Friday's on Sunday), and
each paper becomes visible in the API some time after its announcement, from
minutes to hours. The fetches run like the schedule would, with the usual
accidents: a skipped day, a day run twice, a day run hours late, an empty page
in the middle of a result set. Every paper must land in exactly one day: the
day of the first fetch that could see it.
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from digests.services import digest_add
from papers.models import FetchRun, Paper
from publishing.days.collection import day_collect
from publishing.days.pipeline import day_start_drafting
from publishing.days.windows import digest_window
from publishing.models import Entry
from tests.builders import home_digest_set
from tests.fake_arxiv import SimPaper, SimulatedArxiv
from translations.models import MachineDraft

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
VISIBILITY_LAGS = [dt.timedelta(minutes=m) for m in (3, 30, 55, 70, 120, 240, 420)]


def announcement_for(submitted: dt.datetime) -> dt.datetime:
    """When arXiv announces a submission: the next 14:00 Eastern weekday deadline's evening."""
    local = submitted.astimezone(NEW_YORK)
    day = local.date()
    while True:
        deadline = dt.datetime.combine(day, dt.time(14), tzinfo=NEW_YORK)
        if day.weekday() < 5 and local <= deadline:
            announce_day = day + dt.timedelta(days=2) if day.weekday() == 4 else day
            return dt.datetime.combine(announce_day, dt.time(20), tzinfo=NEW_YORK)
        day += dt.timedelta(days=1)


def simulate_submissions(arxiv: SimulatedArxiv, first_day: dt.date, days: int, rng: random.Random, *,
                         cl_only_share: float = 0.0) -> None:
    """Six submissions a day: cs.SD, eess.AS cross-listed in cs.SD, cs.CL cross-listed in cs.SD, and (a
    `cl_only_share` of them) cs.CL alone; a quarter revised a day or two later."""
    counter = 0
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)
    for _ in range(days * 6):
        counter += 1
        submitted = start + dt.timedelta(seconds=rng.randrange(days * 86400))
        shape = rng.random()
        if shape < 0.6:
            primary, categories = "cs.SD", ["cs.SD"]
        elif shape < 0.8:
            primary, categories = "eess.AS", ["eess.AS", "cs.SD"]
        elif shape < 1 - cl_only_share:
            primary, categories = "cs.CL", ["cs.CL", "cs.SD"]  # a cross-list
        else:
            primary, categories = "cs.CL", ["cs.CL"]
        arxiv_id = f"{submitted:%y%m}.{counter:05d}"
        visible = announcement_for(submitted) + rng.choice(VISIBILITY_LAGS)
        first = SimPaper(arxiv_id, 1, f"Paper {counter}", primary, categories, submitted, submitted, visible)
        arxiv.papers.append(first)
        if rng.random() < 0.25:  # a new version a day or two after it was announced
            resubmitted = visible + dt.timedelta(hours=rng.randrange(12, 60))
            arxiv.papers.append(
                SimPaper(
                    arxiv_id, 2, f"Paper {counter} (revised)", primary, categories, submitted, resubmitted,
                    announcement_for(resubmitted) + rng.choice(VISIBILITY_LAGS),
                )
            )
    # An old paper (from months ago) revised during the simulation: an update, not a new paper.
    old = start - dt.timedelta(days=200)
    revised = start + dt.timedelta(days=2, hours=3)
    arxiv.papers.append(SimPaper("2505.99999", 3, "Old paper", "cs.SD", ["cs.SD"], old, revised,
                                 announcement_for(revised) + VISIBILITY_LAGS[1]))


def fetch_schedule(first_day: dt.date, days: int, anchor: dt.time) -> list[tuple[dt.date, dt.datetime]]:
    """(digest date, when its fetch runs): daily at the anchor, with a skipped, a doubled and a late day."""
    runs = []
    for offset in range(1, days + 1):
        date = first_day + dt.timedelta(days=offset)
        at = dt.datetime.combine(date, anchor, tzinfo=SHANGHAI) + dt.timedelta(seconds=20)
        if offset == 4:
            continue  # the scheduler was down
        runs.append((date, at))
        if offset == 6:
            runs.append((date, at + dt.timedelta(hours=3)))  # someone ran it again by hand
    # a day fetched five hours late
    runs = [(date, at + dt.timedelta(hours=5)) if date == first_day + dt.timedelta(days=8) else (date, at)
            for date, at in runs]
    return runs


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first_day", [dt.date(2026, 1, 5), dt.date(2026, 6, 1)], ids=["winter-anchor-before-announcement", "summer"]
)
def test_every_paper_lands_in_exactly_one_day_the_first_that_could_see_it(first_day, local_server, settings):
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    settings.ARXIV_API_PAGE_SIZE = 7
    settings.DIGEST_LOOKBACK_DAYS = 7
    rng = random.Random(first_day.toordinal())
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    days = 14
    simulate_submissions(arxiv, first_day - dt.timedelta(days=3), days + 3, rng)
    runs = fetch_schedule(first_day, days, settings.DIGEST_ANCHOR)
    arxiv.glitch_once_at = {7}

    for date, at in runs:
        arxiv.now = at
        day_collect(date=date, source="api", now=at)

    last_run_at = runs[-1][1]
    first_versions = {p.arxiv_id: p for p in arxiv.papers if p.version == 1}
    visible_ids = {arxiv_id for arxiv_id, p in first_versions.items() if p.visible_at <= last_run_at}
    assert len(visible_ids) > 50, "the simulation should exercise many papers"

    entries = list(Entry.objects.select_related("paper", "day"))
    landed = [entry.paper.arxiv_id for entry in entries]
    assert sorted(landed) == sorted(set(landed)), "no paper may land in two days"
    assert set(landed) == visible_ids - {"2505.99999"}, "every visible paper lands, and only those"
    assert {entry.kind for entry in entries} <= {"new", "cross"}
    assert {entry.kind for entry in entries} == {"new", "cross"}

    for entry in entries:
        paper = first_versions[entry.paper.arxiv_id]
        expected_date = next(
            date for date, at in runs
            if at >= paper.visible_at and paper.published <= digest_window(date).end
        )
        assert entry.day.date == expected_date, f"{paper.arxiv_id} visible {paper.visible_at} landed late or early"
        if entry.paper.primary_category == "cs.CL":
            assert entry.kind == "cross"

    # Papers were updated to the latest version the API showed; the old paper's revision is stored, not digested.
    for arxiv_id, paper in Paper.objects.in_bulk(field_name="arxiv_id").items():
        latest_visible = max(p.version for p in arxiv.papers if p.arxiv_id == arxiv_id and p.visible_at <= last_run_at)
        assert paper.version == latest_visible
    assert not Entry.objects.filter(paper__arxiv_id="2505.99999").exists()

    for run in FetchRun.objects.all():
        assert run.status == FetchRun.Status.SUCCEEDED, run.error
        assert run.fetched == run.kept + run.duplicates + run.filtered_out + run.outside_window


@pytest.mark.django_db
@pytest.mark.parametrize("side_by_side", [False, True], ids=["one-digest", "two-digests"])
def test_replacements_reenter_the_digest_once_per_version_when_asked(local_server, settings, side_by_side):
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    settings.DIGEST_ANNOUNCE_TYPES = ["new", "cross", "replace", "replace-cross"]
    digests = [home_digest_set(categories=["cs.SD", "eess.AS"])]
    if side_by_side:
        digests.append(digest_add(slug="nlp", name="NLP", categories=["cs.CL"]))
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    rng = random.Random(7)
    first_day = dt.date(2026, 3, 2)
    simulate_submissions(arxiv, first_day - dt.timedelta(days=3), 10, rng, cl_only_share=0.1 if side_by_side else 0)
    runs = fetch_schedule(first_day, 8, settings.DIGEST_ANCHOR)
    for date, at in runs:
        arxiv.now = at
        day_collect(date=date, source="api", now=at)

    for digest in digests:
        ours = {p.arxiv_id for p in arxiv.papers if set(p.categories) & set(digest.categories)}
        replaced = {p.arxiv_id for p in arxiv.papers if p.version == 2 and p.visible_at <= runs[-1][1]} & ours
        assert replaced, "the simulation should revise some papers"
        reentries = Entry.objects.filter(digest=digest, kind__in=["replace", "replace-cross"])
        reentered = [entry.paper.arxiv_id for entry in reentries.select_related("paper")]
        assert sorted(reentered) == sorted(set(reentered))
        for entry in reentries.select_related("paper"):
            if entry.paper.arxiv_id == "2505.99999":
                # arXiv announces revisions of old papers too; asked for, they enter as replacements.
                assert entry.kind == "replace" and entry.paper_version == 3
                continue
            first = Entry.objects.get(digest=digest, paper=entry.paper, kind__in=["new", "cross"])
            assert first.day.date < entry.day.date
            assert entry.paper_version == 2
        entered_at_v2 = set(Entry.objects.filter(digest=digest, kind__in=["new", "cross"], paper_version=2)
                            .values_list("paper__arxiv_id", flat=True))
        old = {"2505.99999"} & ours
        assert set(reentered) == (replaced - entered_at_v2) | old, "a revision seen first enters as new"


# --- Two digests side by side: one fetch a morning serves both --------------------------------------------


def landing_date(paper: SimPaper, runs) -> dt.date:
    """The day of the first fetch that could see the paper (both digests share the anchor)."""
    return next(date for date, at in runs if at >= paper.visible_at and paper.published <= digest_window(date).end)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first_day", [dt.date(2026, 1, 5), dt.date(2026, 6, 1)], ids=["winter-anchor-before-announcement", "summer"]
)
def test_two_digests_side_by_side_each_get_every_paper_of_their_categories_once_from_one_fetch(
        first_day, local_server, settings):
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    settings.ARXIV_API_PAGE_SIZE = 7
    settings.DIGEST_LOOKBACK_DAYS = 7
    # Drafts are queued, not run (enqueue=False): a configured LLM is only needed to queue them.
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL, settings.DIGEST_LLM_MODEL = "k", "http://127.0.0.1:9/v1", "m"
    audio = home_digest_set(categories=["cs.SD", "eess.AS"])
    nlp = digest_add(slug="nlp", name="NLP", categories=["cs.CL"])
    rng = random.Random(first_day.toordinal())
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    days = 14
    simulate_submissions(arxiv, first_day - dt.timedelta(days=3), days + 3, rng, cl_only_share=0.1)
    runs = fetch_schedule(first_day, days, settings.DIGEST_ANCHOR)
    arxiv.glitch_once_at = {7}

    for date, at in runs:
        arxiv.now = at
        asked_before = len(local_server.requests)
        collection = day_collect(date=date, source="api", now=at)
        for result in collection.results:
            day_start_drafting(day=result.day, enqueue=False)
        queries = {request.query["search_query"][0] for request in local_server.requests[asked_before:]}
        assert len(queries) == 1, f"{date}: one query of arXiv (its pages) serves both digests: {queries}"
        assert {"cat:cs.SD", "cat:eess.AS", "cat:cs.CL"} <= set(queries.pop().replace("(", " ").replace(")", " ")
                                                                .split())
        assert [result.day.digest_id for result in collection.results] == [audio.pk, nlp.pk]

    last_run_at = runs[-1][1]
    first_versions = {p.arxiv_id: p for p in arxiv.papers if p.version == 1 and p.visible_at <= last_run_at}
    for digest in (audio, nlp):
        entries = list(Entry.objects.filter(digest=digest).select_related("paper", "day"))
        landed = [entry.paper.arxiv_id for entry in entries]
        assert sorted(landed) == sorted(set(landed)), f"{digest.slug}: no paper may land in two days"
        own = {arxiv_id for arxiv_id, p in first_versions.items() if set(p.categories) & set(digest.categories)}
        assert set(landed) == own - {"2505.99999"}, f"{digest.slug}: every visible paper of its categories, only those"
        assert len(own) > 10, "the simulation should exercise many papers in each digest"
        for entry in entries:
            paper = first_versions[entry.paper.arxiv_id]
            assert entry.day.digest_id == digest.pk
            assert entry.day.date == landing_date(paper, runs), f"{digest.slug}: {paper.arxiv_id} landed late or early"
            # new or cross-list by the digest's own categories
            assert entry.kind == ("new" if paper.primary in digest.categories else "cross")
    assert {entry.kind for entry in Entry.objects.filter(digest=audio)} == {"new", "cross"}
    assert set(Entry.objects.filter(digest=nlp).values_list("kind", flat=True)) == {"new"}

    both = {arxiv_id for arxiv_id, p in first_versions.items() if {"cs.CL", "cs.SD"} <= set(p.categories)}
    assert both, "the simulation should cross-list papers in both digests' categories"
    for arxiv_id in both:
        assert Entry.objects.filter(paper__arxiv_id=arxiv_id).count() == 2, f"{arxiv_id} is in both digests"
    drafted = list(MachineDraft.objects.values_list("paper__arxiv_id", flat=True))
    assert sorted(drafted) == sorted(set(Entry.objects.values_list("paper__arxiv_id", flat=True))), \
        "every paper is drafted once, however many digests hold it"

    assert FetchRun.objects.count() == len(runs), "one fetch a morning"
    for run in FetchRun.objects.all():
        assert run.status == FetchRun.Status.SUCCEEDED, run.error
        assert set(run.digest_counts) == {"daily", "nlp"}
        for counts in run.digest_counts.values():
            assert counts["fetched"] == (counts["kept"] + counts["duplicates"] + counts["filtered_out"]
                                         + counts["outside_window"])
