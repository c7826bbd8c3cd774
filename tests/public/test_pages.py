"""The public site: what readers can open, how a day page renders, search, feed, sitemap, caching."""

import datetime as dt
import importlib
import re
import xml.etree.ElementTree as ET

import pytest

from public.page_cache import cached_publication_ids, public_cache_clear
from publishing.models import PublishedPaper
from publishing.posts.publication import day_publish, day_unpublish
from tests.builders import DEMO_DATE, another_day_approved, approve_all, edit

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def empty_cache():
    public_cache_clear()


def test_the_day_page_folds_each_reading_and_renders_it_as_html(client, published_day):
    response = client.get("/days/2026-01-09/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<summary>详细解读</summary>") == 6
    # Trust marks: an editor reviewed each entry (and when), the English original one click away,
    # the title linking to the site's paper page.
    assert html.count("人工审校 · ") == 6 and html.count("<summary>英文原文</summary>") == 6
    assert '<h2><a href="/papers/2601.90008/"' in html
    post = html[html.index('<article class="post">'):html.index("</article>")]
    assert "**" not in post and "\n- " not in post  # no markdown left for readers
    reading = post[post.index("<summary>详细解读</summary>"):]
    reading = reading[:reading.index("</details>")]
    assert "<li><strong>研究背景</strong>" in reading and "<ul>" in reading
    assert "<h2>" in post and 'href="https://arxiv.org/abs/2601.90008v1"' in post
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_nested_points_of_a_reading_become_nested_lists(client, drafted_day, editor, chief, django_capture_on_commit_callbacks):
    entry = drafted_day.entries.get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks,
         method_md="- **方法框架**：\n  - **问题建模**：甲\n  - **目标函数**：乙")
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    html = client.get("/days/2026-01-09/").content.decode()
    assert "<li><strong>方法框架</strong>：<ul>\n<li><strong>问题建模</strong>：甲</li>" in html


def test_the_raw_markdown_is_the_publication(client, published_day):
    response = client.get("/days/2026-01-09.md")
    assert response.status_code == 200 and response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content == published_day.live_publication.markdown.encode()
    assert response.content.startswith(b'---\nlayout: post\ntitle: "arXiv Daily \xe2\x80\x93 2026-01-09"\n')


def test_unpublished_draft_future_and_impossible_days_are_not_found(client, drafted_day, published_day, chief, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    for url in ["/days/2026-01-10/", "/days/2026-02-30/", "/days/2026-1-9/", "/days/2026-01-10.md"]:
        assert client.get(url).status_code == 404, url
    # The same published day is "future" when today's digest date is before it.
    # The public() rules' "today" (each digest's, in its time zone: publishing.models.days.digest_today).
    monkeypatch.setattr("publishing.models.days.current_digest_date", lambda now=None, *, tz=None: DEMO_DATE - dt.timedelta(days=1))
    assert client.get("/days/2026-01-09/").status_code == 404
    assert client.get("/papers/2601.90008/").status_code == 404
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=published_day, user=chief)
    for url in ["/days/2026-01-09/", "/days/2026-01-09.md", "/papers/2601.90008/"]:
        assert client.get(url).status_code == 404, url
    assert "2026-01-09" not in client.get("/").content.decode()
    assert b"2026-01-09" not in client.get("/feed/").content


def test_a_day_in_review_is_not_public(client, drafted_day, editor):
    approve_all(drafted_day, editor)
    assert client.get("/days/2026-01-09/").status_code == 404
    assert client.get("/days/2026-01-09.md").status_code == 404


def test_archive_lists_days_latest_first_grouped_by_month(client, published_day):
    html = client.get("/").content.decode()
    assert "2026 年 1 月" in html and 'href="/days/2026-01-09/"' in html and "6 篇" in html


def test_paper_permalink_lists_the_days_it_appeared_in(client, published_day):
    response = client.get("/papers/2601.90008/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/days/2026-01-09/"' in html and "<details open>" in html
    assert client.get("/papers/2601.90008v1/").status_code == 301
    assert client.get("/papers/2601.99999/").status_code == 404
    assert client.get("/papers/not-an-id/").status_code == 404


def reading_block(html: str, after: str) -> str:
    """The folded reading that follows `after` on a page, from its summary to its end."""
    start = html.index("<summary>详细解读</summary>", html.index(after))
    return html[start:html.index("</details>", start)]


SECTION_NAMES = ("研究背景与既有方法问题", "核心方法", "任务与效果")


def test_the_paper_page_shows_each_reading_section_under_its_name_as_the_day_page_renders_it(client, published_day):
    day_html = client.get("/days/2026-01-09/").content.decode()
    papers = list(PublishedPaper.objects.filter(publication=published_day.live_publication))
    assert len(papers) == 6, "every paper of the demo day is compared"
    for paper in papers:
        paper_html = client.get(f"/papers/{paper.arxiv_id}/").content.decode()
        reading = reading_block(paper_html, "<h2>中文摘要</h2>")
        day_reading = reading_block(day_html, f'href="https://arxiv.org/abs/{paper.versioned_id}"')
        assert re.findall(r"<li>.*?</li>", reading, re.S) == re.findall(r"<li>.*?</li>", day_reading, re.S), paper.arxiv_id
        assert [reading.index(f"<h3>{name}</h3>") for name in SECTION_NAMES] == \
            sorted(reading.index(f"<h3>{name}</h3>") for name in SECTION_NAMES)
        assert "<p>1)" not in reading


def test_a_section_with_paragraphs_of_its_own_stays_one_section_on_the_paper_page(
        client, drafted_day, editor, chief, django_capture_on_commit_callbacks):
    entry = drafted_day.entries.get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks,
         background_md="背景第一段。\n\n背景第二段。", method_md="- 方法要点", results_md="结果。")
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    reading = reading_block(client.get(f"/papers/{entry.paper.arxiv_id}/").content.decode(), "<h2>中文摘要</h2>")
    assert reading == ("<summary>详细解读</summary>\n<h3>研究背景与既有方法问题</h3><div>\n<p>背景第一段。</p>\n"
                       "<p>背景第二段。</p>\n</div>\n<h3>核心方法</h3><div>\n<ul>\n<li>方法要点</li>\n</ul>\n</div>\n"
                       "<h3>任务与效果</h3><div>\n<p>结果。</p>\n</div>\n")


def test_rows_published_before_the_sections_were_kept_get_them_from_their_revision(published_day, client):
    from django.apps import apps

    migration = importlib.import_module("publishing.migrations.0011_published_paper_reading_sections")
    rows = PublishedPaper.objects.filter(publication=published_day.live_publication)
    kept = {row.pk: (row.background_md, row.method_md, row.results_md) for row in rows}
    rows.update(background_md="", method_md="", results_md="")
    vocoder = rows.get(arxiv_id="2601.90008")
    assert "<p>1)  </p>" not in client.get("/papers/2601.90008/").content.decode()  # one block meanwhile
    PublishedPaper.objects.filter(pk=vocoder.pk).update(reading_md="no revision reads so")

    migration.fill_reading_sections(apps, None)
    filled = {row.pk: (row.background_md, row.method_md, row.results_md) for row in rows.exclude(pk=vocoder.pk)}
    assert filled == {pk: sections for pk, sections in kept.items() if pk != vocoder.pk}
    assert all(sections[0] for sections in filled.values())
    assert PublishedPaper.objects.get(pk=vocoder.pk).background_md == "", "no revision matches: left empty"


def test_category_pages(client, published_day):
    html = client.get("/categories/eess.AS/").content.decode()
    assert "分类 eess.AS" in html and "/papers/" in html
    assert client.get("/categories/math.XX/").status_code == 404
    assert client.get("/categories/cs.SD/?page=abc").status_code == 404


@pytest.mark.parametrize("query", ["vocoder", "Vocoders", "声码器", "扩散的神经", "码", "Qiao", "声码器 LibriTTS"])
def test_search_finds_english_and_chinese_text(client, published_day, query):
    html = client.get("/search/", {"q": query}).content.decode()
    assert 'href="/papers/2601.90008/"' in html, query


def test_chinese_is_indexed_as_character_pairs_on_postgresql(published_day):
    from django.db import connection
    if connection.vendor != "postgresql":
        pytest.skip("the character-pair index exists on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest_cjk_pairs(%s)", ["基于扩散的 MOS 为4.21，单核"])
        assert cursor.fetchone()[0].split() == ["基于", "于扩", "扩散", "散的", "单核"]


def test_the_search_vector_follows_the_text_on_postgresql(client, published_day):
    """A trigger keeps each paper's search vector (migration 0028): filled on insert as the old generated
    column was, and again when a text changes."""
    from django.db import connection
    if connection.vendor != "postgresql":
        pytest.skip("the search vector exists on PostgreSQL only")
    paper = PublishedPaper.objects.get(arxiv_id="2601.90008")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector = digest_paper_search_vector(title, authors_text, abstract_en, title_zh, "
                       "abstract_zh, reading_md) FROM publishing_publishedpaper WHERE id = %s", [paper.pk])
        assert cursor.fetchone()[0], "filled on insert"
    assert 'href="/papers/2601.90008/"' not in client.get("/search/", {"q": "喵呜"}).content.decode()
    PublishedPaper.objects.filter(pk=paper.pk).update(title_zh=paper.title_zh + " 喵呜")
    assert 'href="/papers/2601.90008/"' in client.get("/search/", {"q": "喵呜"}).content.decode()


def test_search_without_a_match_or_query(client, published_day):
    assert "没有找到" in client.get("/search/", {"q": "quantum chromodynamics"}).content.decode()
    assert client.get("/search/").status_code == 200
    assert client.get("/search/", {"q": "x" * 5000}).status_code == 200


def test_atom_feed_and_sitemap_are_xml(client, published_day):
    feed = ET.fromstring(client.get("/feed/").content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1 and entries[0].find(f"{ATOM}title").text == "arXiv Daily – 2026-01-09"
    assert entries[0].find(f"{ATOM}link").get("href").endswith("/days/2026-01-09/")
    index = ET.fromstring(client.get("/sitemap.xml").content)
    sections = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert len(sections) == 2
    urls = []
    for section in sections:
        urls += [loc.text for loc in ET.fromstring(client.get(section).content).iter(f"{SITEMAP}loc")]
    assert "http://testserver/days/2026-01-09/" in urls and "http://testserver/papers/2601.90008/" in urls
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in robots and "Sitemap: http://testserver/sitemap.xml" in robots
    assert "Disallow: /subscribe/confirm/\n" in robots and "Disallow: /unsubscribe/\n" in robots


def test_public_pages_only_answer_reads(client, published_day):
    assert client.post("/days/2026-01-09/").status_code == 405
    assert client.post("/search/", {"q": "x"}).status_code == 405


def test_day_pages_answer_conditional_gets(client, published_day):
    first = client.get("/days/2026-01-09/")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get("/days/2026-01-09/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/days/2026-01-09/", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    raw = client.get("/days/2026-01-09.md")
    assert client.get("/days/2026-01-09.md", HTTP_IF_NONE_MATCH=raw["ETag"]).status_code == 304


def test_publishing_a_new_version_changes_the_page_and_clears_the_cache(client, published_day, editor, chief,
                                                                        django_capture_on_commit_callbacks):
    first = client.get("/days/2026-01-09/")
    first_version = published_day.live_publication_id
    assert first_version in cached_publication_ids()
    edit(published_day.entries.get(position=1), editor, django_capture_on_commit_callbacks, abstract_zh="第二版的摘要。")
    approve_all(published_day, editor, except_positions=[2, 3, 4, 5, 6])
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=published_day, user=chief)
    assert first_version not in cached_publication_ids()
    second = client.get("/days/2026-01-09/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and "第二版的摘要。" in second.content.decode() and "第 2 版" in second.content.decode()


@pytest.mark.parametrize("papers", [1, 40])
def test_pages_make_a_fixed_number_of_queries_whatever_the_size(client, published_day, editor, chief, papers,
                                                                django_capture_on_commit_callbacks,
                                                                django_assert_max_num_queries):
    day = another_day_approved(dt.date(2026, 1, 10), published_day, editor, papers=papers)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=day, user=chief)
    for url in ["/", "/days/2026-01-10/", "/days/2026-01-10.md", "/papers/2601.70000/", "/categories/cs.SD/",
                "/search/?q=vocoder", "/search/?q=声码器", "/feed/", "/sitemap.xml", "/sitemap-papers.xml"]:
        public_cache_clear()
        with django_assert_max_num_queries(5):
            assert client.get(url).status_code == 200, url


def test_a_cached_page_is_never_served_after_another_process_unpublished_or_replaced_it(
    client, published_day, editor, chief, django_capture_on_commit_callbacks, settings
):
    settings.DIGEST_PUBLIC_RECHECK_SECONDS = 0
    assert client.get("/days/2026-01-09/").status_code == 200
    # Publishing elsewhere: this process's cache is not told (no on-commit signal here).
    edit(published_day.entries.get(position=1), editor, django_capture_on_commit_callbacks, abstract_zh="别处发布的第二版。")
    approve_all(published_day, editor, except_positions=[2, 3, 4, 5, 6])
    day_publish(day=published_day, user=chief)
    assert "别处发布的第二版。" in client.get("/days/2026-01-09/").content.decode()
    day_unpublish(day=published_day, user=chief)
    assert client.get("/days/2026-01-09/").status_code == 404


def test_with_a_recheck_window_another_processs_unpublish_shows_within_the_window(
    client, published_day, chief, settings, monkeypatch
):
    settings.DIGEST_PUBLIC_RECHECK_SECONDS = 5
    clock = [1000.0]
    monkeypatch.setattr("public.page_cache.time.monotonic", lambda: clock[0])
    assert client.get("/days/2026-01-09/").status_code == 200
    day_unpublish(day=published_day, user=chief)  # elsewhere: this process is not told
    clock[0] += 4
    assert client.get("/days/2026-01-09/").status_code == 200
    clock[0] += 2
    assert client.get("/days/2026-01-09/").status_code == 404


def test_public_pages_send_security_headers(client, published_day):
    response = client.get("/days/2026-01-09/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "script-src" not in response["Content-Security-Policy"]  # default-src 'none' forbids scripts
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers  # readers get no session or CSRF cookie


def test_the_paper_page_says_an_editor_reviewed_it_and_when(client, published_day):
    from django.utils import timezone

    entry = published_day.entries.get(paper__arxiv_id="2601.90008")
    page = client.get("/papers/2601.90008/").content.decode()
    assert f"人工审校 · {timezone.localtime(entry.approved_at):%Y-%m-%d %H:%M}" in page
