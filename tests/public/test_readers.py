"""What readers asked for (issue 20, problem 11): the Chinese title on the day, a paper page led by it,
search by arXiv id with snippets, full-content feeds, an honest unsubscribe page, a 订阅 page."""

import pytest

from public.page_cache import public_cache_clear
from publishing.models import PublishedPaper


@pytest.fixture(autouse=True)
def empty_cache():
    public_cache_clear()


def test_the_day_page_shows_each_papers_chinese_title_under_its_heading(client, published_day):
    html = client.get("/days/2026-01-09/").content.decode()
    markdown = client.get("/days/2026-01-09.md").content.decode()
    for paper in PublishedPaper.objects.filter(publication=published_day.live_publication):
        assert paper.title_zh, paper.arxiv_id
        assert f"## {paper.title}\n**{paper.title_zh}**\n- **Authors**: " in markdown
        heading = html.index(f'<h2><a href="/papers/{paper.arxiv_id}/"')
        assert html.index(f"<p><strong>{paper.title_zh}</strong></p>", heading) < html.index("<ul>", heading)
