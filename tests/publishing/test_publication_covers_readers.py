"""A publication covers everything readers see: a correction to any shown field is a new version,
and it reaches every page (the Chinese title is not in the markdown, yet it is shown)."""

import pytest

from papers.models import Paper
from public.page_cache import public_cache_clear
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from tests.builders import edit

CHINESE_CORRECTIONS = {
    "title_zh": "更正后的中文标题：相位感知声码器",
    "abstract_zh": "更正后的摘要。",
    "background_md": "- **研究背景**：更正。",
    "method_md": "- **核心思路**：更正。",
    "results_md": "- **任务与效果**：更正。",
}
ARXIV_CHANGES = {
    "title": "Phase-Aware Diffusion Vocoding, Revised",
    "authors": [{"name": "Lin Qiao", "affiliations": []}, {"name": "New Coauthor", "affiliations": []}],
    "categories": ["cs.SD", "eess.AS", "cs.LG"],
    "abstract": "A corrected English abstract.",
}


def republish(day, chief, capture):
    with capture(execute=True):
        return day_publish(day=day, user=chief)


@pytest.mark.parametrize("field", sorted(CHINESE_CORRECTIONS))
def test_an_approved_correction_of_any_chinese_field_is_a_new_version(
        published_day, editor, chief, field, django_capture_on_commit_callbacks):
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, **{field: CHINESE_CORRECTIONS[field]})
    entry_approve(entry=entry, user=editor)
    result = republish(published_day, chief, django_capture_on_commit_callbacks)
    assert result.created and result.publication.version == 2


@pytest.mark.parametrize("field", sorted(ARXIV_CHANGES))
def test_a_change_of_any_shown_arxiv_field_is_a_new_version(
        published_day, chief, field, django_capture_on_commit_callbacks):
    entry = published_day.entries.get(position=1)
    Paper.objects.filter(pk=entry.paper_id).update(**{field: ARXIV_CHANGES[field]})
    result = republish(published_day, chief, django_capture_on_commit_callbacks)
    assert result.created and result.publication.version == 2


def test_publishing_again_unchanged_makes_no_version(published_day, chief, django_capture_on_commit_callbacks):
    result = republish(published_day, chief, django_capture_on_commit_callbacks)
    assert not result.created and result.publication.version == 1


def test_a_chinese_title_correction_reaches_the_paper_page_and_search(
        client, published_day, editor, chief, django_capture_on_commit_callbacks):
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh=CHINESE_CORRECTIONS["title_zh"])
    entry_approve(entry=entry, user=editor)
    republish(published_day, chief, django_capture_on_commit_callbacks)
    public_cache_clear()
    assert CHINESE_CORRECTIONS["title_zh"] in client.get(f"/papers/{entry.paper.arxiv_id}/").content.decode()
    assert CHINESE_CORRECTIONS["title_zh"] in client.get("/search/?q=相位感知声码器").content.decode()
    assert CHINESE_CORRECTIONS["title_zh"] in client.get("/").content.decode()
