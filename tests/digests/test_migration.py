"""An installation of one digest migrates into the first digest with every row kept: a database populated
on the schema before digests (publishing 0028, papers 0003) is migrated, and its days, entries and filtered
papers are the first digest's, which the settings describe; its pages keep their URLs."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from digests.models import Digest
from publishing.models import DigestDay, Entry, FilteredPaper

BEFORE_DIGESTS = [("publishing", "0028_search_vector_by_trigger"), ("papers", "0003_fetch_run_next_try"),
                  ("digests", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1]]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_days_entries_and_filtered_papers_become_the_first_digests(settings):
    settings.DIGEST_CATEGORIES = ["cs.SD", "eess.AS"]
    settings.DIGEST_EXCLUDE_KEYWORDS = ["survey"]
    old = migrate(BEFORE_DIGESTS)
    try:
        now = timezone.now()
        Paper = old.get_model("papers", "Paper")
        papers = [Paper.objects.create(arxiv_id=f"2601.0000{n}", version=1, title=f"P{n}", abstract="a",
                                       primary_category="cs.SD", categories=["cs.SD"], published=now, updated=now)
                  for n in range(3)]
        Day = old.get_model("publishing", "DigestDay")
        days = [Day.objects.create(date=dt.date(2026, 1, 8 + n), window_start=now, window_end=now, status="in_review")
                for n in range(2)]
        old.get_model("publishing", "Entry").objects.create(day=days[0], paper=papers[0], paper_version=1,
                                                           kind="new", position=1)
        old.get_model("publishing", "Entry").objects.create(day=days[1], paper=papers[1], paper_version=1,
                                                           kind="new", position=1)
        old.get_model("publishing", "FilteredPaper").objects.create(day=days[1], paper=papers[2], paper_version=1,
                                                                   reason="mentions excluded keyword 'survey'")
    finally:
        migrate(latest())

    (first,) = Digest.objects.all()
    assert (first.slug, first.categories, first.exclude_keywords) == ("daily", ["cs.SD", "eess.AS"], ["survey"])
    assert first.post_title(dt.date(2026, 1, 9)) == "arXiv Daily – 2026-01-09"
    assert list(DigestDay.objects.order_by("date").values_list("date", "digest_id", "status")) == [
        (dt.date(2026, 1, 8), first.pk, "in_review"), (dt.date(2026, 1, 9), first.pk, "in_review")]
    assert list(Entry.objects.order_by("day__date").values_list("paper__arxiv_id", "digest_id")) == [
        ("2601.00000", first.pk), ("2601.00001", first.pk)]
    assert FilteredPaper.objects.get().digest_id == first.pk
    # The rules hold per digest now: a date once per digest, a paper new once per digest.
    with pytest.raises(IntegrityError), transaction.atomic():
        DigestDay.objects.create(digest=first, date=dt.date(2026, 1, 9), window_start=timezone.now(),
                                 window_end=timezone.now())
    second = Digest.objects.create(slug="nlp", name="NLP", categories=["cs.CL"], anchor=dt.time(8, 50),
                                   time_zone="Asia/Shanghai")
    day = DigestDay.objects.create(digest=second, date=dt.date(2026, 1, 9), window_start=timezone.now(),
                                   window_end=timezone.now())
    entry = Entry.objects.create(day=day, paper_id=Entry.objects.first().paper_id, paper_version=1, kind="new",
                                 position=1)
    assert entry.digest_id == second.pk  # taken from its day
