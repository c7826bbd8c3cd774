"""The admin pages editors use to look at papers, fetches and days."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from papers.models import FetchRun, Paper
from publishing.models import DigestDay, Entry
from tests.builders import DEMO_FEED, collect_single


@pytest.fixture
def collected_demo_day(db):
    return collect_single(date=dt.date(2026, 1, 9), source="file", files=[str(DEMO_FEED)])


KEPT = ["2601.90008v1", "2601.90007v1", "2601.90006v1", "2601.90005v1", "2601.90004v1", "2601.90003v1"]
OLD_VERSION = "2507.90002v2"  # a new version of a 2025 paper: fetched and stored, outside the window, no entry


@pytest.mark.parametrize(
    "url_name, rows, shown, not_shown",
    [
        ("admin:papers_paper_changelist", 7,
         [*KEPT, OLD_VERSION, "Phase-Aware Diffusion Vocoding for Low-Latency Speech Synthesis"], []),
        ("admin:papers_fetchrun_changelist", 1,
         ['<td class="field-status">成功</td><td class="field-fetched">7</td><td class="field-kept">6</td>'], []),
        ("admin:publishing_digestday_changelist", 1,
         ['/review/">审校这一天</a>', '<td class="field-progress">已审 0 / 6 · 6 等待译稿</td>'], []),
        ("admin:publishing_entry_changelist", 6, [*KEPT, "2026-01-09 日报"], [OLD_VERSION]),
    ],
)
def test_changelists_list_what_the_collection_made(admin_client, collected_demo_day, url_name, rows, shown,
                                                   not_shown):
    response = admin_client.get(reverse(url_name))
    assert response.status_code == 200
    assert response.context["cl"].result_count == rows
    content = response.content.decode()
    assert [text for text in shown if text not in content] == []
    assert [text for text in not_shown if text in content] == []


def test_day_page_shows_counts_entries_and_links_to_its_fetches(admin_client, collected_demo_day):
    day = DigestDay.objects.get()
    response = admin_client.get(reverse("admin:publishing_digestday_change", args=[day.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Phase-Aware Diffusion Vocoding for Low-Latency Speech Synthesis" in content
    assert "?digest_date=2026-01-09" in content
    runs = admin_client.get(reverse("admin:papers_fetchrun_changelist") + "?digest_date=2026-01-09")
    assert runs.status_code == 200
    assert runs.context["cl"].result_count == 1


def test_paper_page_shows_versioned_links_and_affiliations(admin_client, collected_demo_day):
    paper = Paper.objects.get(arxiv_id="2601.90008")
    content = admin_client.get(reverse("admin:papers_paper_change", args=[paper.pk])).content.decode()
    assert 'href="https://arxiv.org/abs/2601.90008v1"' in content
    assert 'href="https://arxiv.org/pdf/2601.90008v1"' in content
    assert "Lin Qiao (Demo University)" in content


def test_paper_list_filters_by_any_category_including_cross_lists(admin_client, collected_demo_day):
    url = reverse("admin:papers_paper_changelist")
    listed = admin_client.get(url, {"category": "cs.SD"}).context["cl"].result_list
    ids = {paper.arxiv_id for paper in listed}
    assert "2601.90007" in ids  # primary cs.CL, cross-listed to cs.SD
    assert "2601.90006" not in ids  # eess.AS and cs.LG only


def test_paper_search_finds_titles_and_authors(admin_client, collected_demo_day):
    url = reverse("admin:papers_paper_changelist")
    assert [p.arxiv_id for p in admin_client.get(url, {"q": "Kowalski"}).context["cl"].result_list] == ["2601.90008"]
    assert [p.arxiv_id for p in admin_client.get(url, {"q": "folk music"}).context["cl"].result_list] == ["2601.90005"]


def test_fetch_runs_are_read_only_records(admin_client, collected_demo_day):
    run = FetchRun.objects.get()
    page = admin_client.get(reverse("admin:papers_fetchrun_change", args=[run.pk]))
    assert page.status_code == 200
    admin_client.post(reverse("admin:papers_fetchrun_change", args=[run.pk]), {"status": "failed"})
    run.refresh_from_db()
    assert run.status == FetchRun.Status.SUCCEEDED
    assert admin_client.get(reverse("admin:papers_fetchrun_add")).status_code == 403


def test_day_list_filters_by_status(admin_client, collected_demo_day):
    url = reverse("admin:publishing_digestday_changelist")
    assert admin_client.get(url, {"status__exact": "collecting"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"status__exact": "published"}).context["cl"].result_count == 0
    assert Entry.objects.count() == 6


def test_day_page_marks_entries_needing_a_translation_and_links_drafts(admin_client, collected_demo_day):
    from translations.services import draft_record_demo

    day = DigestDay.objects.get()
    paper = Paper.objects.get(arxiv_id="2601.90008")
    draft = draft_record_demo(paper=paper, fields={"title_zh": "标题", "abstract_zh": "摘要", "background": "背景",
                                                   "method": "方法", "results": "结果"})
    page = admin_client.get(reverse("admin:publishing_digestday_change", args=[day.pk]), HTTP_ACCEPT_LANGUAGE="en")
    content = page.content.decode()
    assert content.count("needs a translation") == 5
    assert reverse("admin:translations_machinedraft_change", args=[draft.pk]) in content


DJANGOS_NAMES = ("Django administration", "Django site admin", "Site administration", "Django 管理", "站点管理")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_admin_carries_the_sites_name_not_djangos(admin_client, settings, language):
    settings.DIGEST_SITE_TITLE = "声学论文速递"
    pages = [admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
             for url in (reverse("admin:index"), reverse("admin:publishing_digestday_changelist"))]
    admin_client.logout()
    pages.append(admin_client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE=language).content.decode())
    for content in pages:
        assert '<div id="site-name"><a href="/admin/">声学论文速递</a></div>' in content
        assert "| 声学论文速递</title>" in content
        assert not [name for name in DJANGOS_NAMES if name in content]


def test_the_day_lists_live_version_column_is_not_headed_as_arxivs_submission_date(admin_client, collected_demo_day):
    """One msgid "published" served both, so the day list's column read 首次提交 (arXiv's submission date)."""
    days = admin_client.get(reverse("admin:publishing_digestday_changelist")).content.decode()  # Chinese, the default
    header = re.search(r'<th scope="col" class="column-published">.*?</th>', days, re.S).group(0)
    assert "首次提交" not in header
