"""What readers asked for (issue 20, problem 11): the Chinese title on the day, a paper page led by it,
search by arXiv id with snippets, full-content feeds, an honest unsubscribe page, a 订阅 page."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from delivery.models import Subscriber
from public.page_cache import public_cache_clear
from public.search import snippet_html
from publishing.models import PublishedPaper
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from tests.builders import edit


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


def test_the_paper_page_is_led_by_the_chinese_title_with_the_english_one_as_subtitle(client, published_day):
    paper = PublishedPaper.objects.get(publication=published_day.live_publication, arxiv_id="2601.90008")
    html = client.get("/papers/2601.90008/").content.decode()
    assert f"<h1>{paper.title_zh}</h1>" in html
    assert f'<p class="subtitle" lang="en">{paper.title}</p>' in html


def test_tex_in_the_english_abstract_is_mathml_as_on_the_day_page(client, published_day):
    PublishedPaper.objects.filter(arxiv_id="2601.90008").update(
        abstract_en="Reverberation time $T_{60}$ is estimated.\nA <b>bold</b> claim.")
    html = client.get("/papers/2601.90008/").content.decode()
    english = html[html.index("<h2>英文摘要</h2>"):]
    assert "<msub><mi>T</mi><mrow><mn>60</mn></mrow></msub>" in english and "$T_{60}$" not in english
    assert "A &lt;b&gt;bold&lt;/b&gt; claim." in english and "<br>" in english


def test_the_paper_page_names_its_reading_sections(client, published_day):
    html = client.get("/papers/2601.90008/").content.decode()
    reading = html[html.index("<summary>详细解读</summary>"):]
    reading = reading[:reading.index("</details>")]
    names = ["研究背景与既有方法问题", "核心方法", "任务与效果"]
    assert [reading.index(f"<h3>{name}</h3>") for name in names] == sorted(reading.index(f"<h3>{name}</h3>") for name in names)
    assert not any(f"<p>{number})" in reading for number in (1, 2, 3))
    assert "<li><strong>研究背景</strong>" in reading and "**" not in reading


def test_a_paper_corrected_in_a_later_version_says_when_and_why(client, published_day, editor, chief,
                                                                 django_capture_on_commit_callbacks):
    entry = published_day.entries.select_related("paper").get(position=1)
    other = published_day.entries.select_related("paper").get(position=2)
    assert "更正于" not in client.get(f"/papers/{entry.paper.arxiv_id}/").content.decode()
    edit(entry, editor, django_capture_on_commit_callbacks, abstract_zh="更正后的中文摘要。")
    entry_approve(entry=entry, user=editor)
    with django_capture_on_commit_callbacks(execute=True):
        version = day_publish(day=published_day, user=chief, correction_note="更正了第一篇的摘要。").publication
    public_cache_clear()
    html = client.get(f"/papers/{entry.paper.arxiv_id}/").content.decode()
    moment = timezone.localtime(version.published_at).strftime("%Y-%m-%d %H:%M")
    assert f"更正于 {moment}" in html and "更正了第一篇的摘要。" in html
    assert 'href="/days/2026-01-09/versions/#version-2"' in html
    # A paper whose text the correction left alone is not marked.
    assert "更正于" not in client.get(f"/papers/{other.paper.arxiv_id}/").content.decode()


@pytest.mark.parametrize("query", ["2601.90006", "2601.90006v1", "2601.90006v2", "https://arxiv.org/abs/2601.90006v1",
                                   "arxiv.org/pdf/2601.90006", "arXiv:2601.90006"])
def test_search_by_arxiv_id_finds_the_paper(client, published_day, query):
    html = client.get("/search/", {"q": query}).content.decode()
    assert 'href="/papers/2601.90006/"' in html and html.count('<a href="/papers/') == 1


def snippet_of(html: str) -> str:
    start = html.index('<div class="snippet">')
    return html[start:html.index("</div>", start)]


def test_search_results_show_the_match_in_an_escaped_snippet(client, published_day):
    PublishedPaper.objects.filter(arxiv_id="2601.90008").update(
        abstract_en="A <script>alert(1)</script> vocoder that needs four steps.")
    snippet = snippet_of(client.get("/search/", {"q": "four"}).content.decode())
    assert "alert(1)&lt;/script&gt; vocoder" in snippet and "<mark>four</mark>" in snippet
    assert "<script>" not in client.get("/search/", {"q": "four"}).content.decode()
    assert "<mark>声码器</mark>" in snippet_of(client.get("/search/", {"q": "声码器"}).content.decode())


def test_a_snippet_marks_what_the_index_matched_a_stem_or_a_pair_of_characters():
    paper = PublishedPaper(abstract_zh="一种扩散声码器。", abstract_en="Our vocoder is fast.", reading_md="", title="T",
                           title_zh="", authors_text="Ada")
    assert "<mark>vocoder</mark>" in snippet_html(paper, "Vocoders")  # PostgreSQL finds it by its stem
    assert "<mark>声码</mark>" in snippet_html(paper, "声码模型")  # and Chinese by pairs of characters
    assert snippet_html(paper, "") == "一种扩散声码器。"  # found by id: the abstract's start


ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_main_atom_feed_carries_each_day_in_full_sanitised(client, published_day, settings):
    settings.DIGEST_SITE_URL = "https://digest.example.org"
    paper = PublishedPaper.objects.get(publication=published_day.live_publication, arxiv_id="2601.90008")
    # Stored HTML is checked again on the way out: a script that got into it never reaches a feed reader.
    type(published_day.live_publication).objects.filter(pk=published_day.live_publication_id).update(
        html=published_day.live_publication.html + '<script>alert(1)</script><p onclick="x()">尾注</p>')
    entry = ET.fromstring(client.get("/feed/").content).find(f"{ATOM}entry")
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert paper.title_zh in content.text and paper.abstract_zh[:20] in content.text
    assert "<summary>详细解读</summary>" in content.text and "研究背景" in content.text
    assert 'href="https://digest.example.org/papers/2601.90008/"' in content.text
    assert "<script" not in content.text and "onclick" not in content.text and "<p>尾注</p>" in content.text
    assert entry.find(f"{ATOM}summary") is not None
    item = json.loads(client.get("/feed.json").content)["items"][0]
    assert item["content_html"] == content.text


def test_an_unsubscribe_link_opened_again_says_the_address_is_already_unsubscribed(client, db):
    subscriber = Subscriber.objects.create(email="ana@example.org", status="confirmed", unsubscribe_token="t1")
    url = reverse("public:unsubscribe", args=["t1"])
    assert 'type="submit">退订</button>' in client.get(url).content.decode()
    client.post(url)
    again = client.get(url).content.decode()
    assert "已经退订" in again and "<button" not in again.split("<main>")[1]
    assert Subscriber.objects.get(pk=subscriber.pk).status == "unsubscribed"


def test_the_nav_item_subscribe_opens_a_page_that_explains_email_and_feeds(client, published_day):
    page = client.get("/").content.decode()
    nav = page[page.index("<nav>"):page.index("</nav>")]
    assert '<a href="/subscribe/">订阅</a>' in nav and 'href="/feed/"' not in nav
    response = client.get("/subscribe/")
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert 'name="email"' in html and "确认邮件" in html  # the email edition and its form
    for feed in ("/feed/", "/feed.json", "/categories/cs.SD/feed/", "/categories/eess.AS/feed.json"):
        assert f'href="http://testserver{feed}"' in html, feed
    assert "阅读器" in html


def test_the_day_page_folds_its_window_notes_and_opens_on_the_first_paper(client, published_day):
    html = client.get("/days/2026-01-09/").content.decode()
    notes = html.index('<details class="window-notes">')
    assert notes < html.index("时间窗口（锚点") < html.index("</details>", notes) < html.index('<article class="post">')
    post = html[html.index('<article class="post">'):]
    assert post.index("<h2>") < 40  # the article starts with the first paper
