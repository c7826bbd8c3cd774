"""The category rows the category pages read follow their papers: made with each version, live
exactly when the paper's row is (publish, correct, unpublish, publish the same version again)."""

from publishing.models import PublishedPaper, PublishedPaperCategory
from publishing.posts.publication import day_publish, day_unpublish
from publishing.review.services import entry_approve
from tests.builders import edit


def _rows_match_their_papers() -> None:
    papers = {paper.pk: paper for paper in PublishedPaper.objects.all()}
    rows = list(PublishedPaperCategory.objects.all())
    assert sorted((row.published_paper_id, row.category) for row in rows) == sorted(
        (pk, category) for pk, paper in papers.items() for category in paper.categories)
    for row in rows:
        paper = papers[row.published_paper_id]
        assert (row.live, row.day_date, row.position, row.digest_id) == (paper.live, paper.day_date, paper.position,
                                                                         paper.digest_id)


def test_category_rows_follow_every_publish_and_unpublish(published_day, editor, chief,
                                                          django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    assert PublishedPaperCategory.objects.filter(live=True).exists()
    _rows_match_their_papers()

    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, capture, title_zh="更正后的中文标题")
    entry_approve(entry=entry, user=editor)
    with capture(execute=True):
        corrected = day_publish(day=published_day, user=chief).publication
    assert corrected.version == 2
    _rows_match_their_papers()
    assert set(PublishedPaperCategory.objects.filter(live=True).values_list("published_paper__publication", flat=True)) \
        == {corrected.pk}

    with capture(execute=True):
        day_unpublish(day=published_day, user=chief)
    _rows_match_their_papers()
    assert not PublishedPaperCategory.objects.filter(live=True).exists()

    with capture(execute=True):
        again = day_publish(day=published_day, user=chief)
    assert again.publication == corrected and not again.created
    _rows_match_their_papers()
    assert PublishedPaperCategory.objects.filter(live=True).exists()


def test_the_migration_fills_rows_for_papers_published_before_it(published_day):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("publishing.migrations.0022_published_paper_categories")
    PublishedPaperCategory.objects.all().delete()
    migration.fill_category_rows(apps, connection.schema_editor())
    _rows_match_their_papers()
    assert PublishedPaperCategory.objects.filter(live=True).count() == sum(
        len(paper.categories) for paper in PublishedPaper.objects.filter(live=True))
