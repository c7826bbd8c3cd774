"""Published papers made before they carried a digest get their day's: publishing 0030 fills every existing row
(and its category rows) from its publication's day, for each digest."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from publishing.models import PublishedPaper, PublishedPaperCategory

BEFORE = [("publishing", "0029_days_belong_to_digests")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_published_papers_and_their_categories_get_their_days_digest():
    old = migrate(BEFORE)
    try:
        now = timezone.now()
        Digest = old.get_model("digests", "Digest")
        first = Digest.objects.order_by("pk").first() or Digest.objects.create(
            slug="daily", name="arXiv Daily", categories=["cs.SD"], anchor=dt.time(8, 50), time_zone="Asia/Shanghai")
        second = Digest.objects.create(slug="nlp", name="NLP", categories=["cs.CL"], anchor=dt.time(8, 50),
                                       time_zone="Asia/Shanghai")
        paper = old.get_model("papers", "Paper").objects.create(
            arxiv_id="2601.00001", version=1, title="P", abstract="a", primary_category="cs.SD",
            categories=["cs.SD", "cs.CL"], published=now, updated=now)
        for digest in (first, second):
            day = old.get_model("publishing", "DigestDay").objects.create(
                digest=digest, date=dt.date(2026, 1, 9), window_start=now, window_end=now, status="published")
            publication = old.get_model("publishing", "Publication").objects.create(
                day=day, version=1, markdown="-", html="-", content_hash=digest.slug, paper_count=1,
                published_by_name="chief")
            row = old.get_model("publishing", "PublishedPaper").objects.create(
                publication=publication, paper=paper, day_date=day.date, position=1, live=True, arxiv_id="2601.00001",
                versioned_id="2601.00001v1", title="P", authors_text="A", categories_text=" cs.SD cs.CL ",
                abstract_en="a", abstract_zh="摘要", reading_md="导读")
            for category in ("cs.SD", "cs.CL"):
                old.get_model("publishing", "PublishedPaperCategory").objects.create(
                    published_paper=row, category=category, live=True, day_date=day.date, position=1)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # Each row's digest is its day's (the publication's hash was its digest's slug).
    assert sorted(PublishedPaper.objects.values_list("publication__content_hash", "digest__slug")) == sorted(
        [(first.slug, first.slug), ("nlp", "nlp")])
    assert sorted(PublishedPaperCategory.objects.values_list("published_paper__publication__content_hash",
                                                             "digest__slug")) == sorted(
        [(first.slug, first.slug), (first.slug, first.slug), ("nlp", "nlp"), ("nlp", "nlp")])
