"""Text from arXiv, the LLM and editors is data: adversarial markup stays inert on every public page."""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from papers.models import Paper
from public.page_cache import public_cache_clear
from publishing.posts.publication import day_publish
from tests.builders import approve_all, edit

ATOM = "{http://www.w3.org/2005/Atom}"

PAYLOADS = {
    "title": 'Robust ASR <script>alert("title")</script> <img src=x onerror=alert(1)>',
    "author": '<svg onload=alert("author")>Mallory',
    "abstract_zh": '摘要<script>alert("abstract")</script>，[点我](javascript:alert(2))，<a href="javascript:alert(3)">链接</a>',
    "background_md": '- **背景**：<iframe src="https://evil.example"></iframe><b onclick="alert(4)">粗体</b>',
    "method_md": '- <details open ontoggle=alert(5)><summary>x</summary></details> [x](JaVaScRiPt:alert(6))',
    "results_md": '- <img src="x" onerror="alert(7)"> <style>body{display:none}</style> <<script>script>alert(8)</script>',
}


@pytest.fixture
def hostile_day(drafted_day, editor, chief, django_capture_on_commit_callbacks):
    public_cache_clear()
    entry = drafted_day.entries.select_related("paper").get(position=1)
    Paper.objects.filter(pk=entry.paper.pk).update(
        title=PAYLOADS["title"], authors=[{"name": PAYLOADS["author"], "affiliations": []}]
    )
    edit(entry, editor, django_capture_on_commit_callbacks,
         **{name: PAYLOADS[name] for name in ("abstract_zh", "background_md", "method_md", "results_md")})
    # The iframe's https://evil.example is a link the paper never gave (link_unverified): approved despite it.
    approve_all(drafted_day, editor, despite_errors=True)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    drafted_day.refresh_from_db()
    return drafted_day, entry.paper.arxiv_id


class _Tags(HTMLParser):
    """Every element and attribute a browser would build from the page."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]


def assert_inert(page: str) -> None:
    parser = _Tags()
    parser.feed(page[page.index("<main>"):page.index("</main>")])  # the page's own <style> is in <head>
    assert not {"script", "iframe", "svg", "style", "img", "object", "embed"} & set(parser.tags), parser.tags
    assert not [a for a in parser.attributes if a[1].startswith("on")]
    assert not [a for a in parser.attributes if a[1] in ("href", "src") and "javascript:" in a[2].lower().replace(" ", "")]


def test_payloads_are_inert_on_every_page(client, hostile_day):
    day, arxiv_id = hostile_day
    for url in ["/days/2026-01-09/", f"/papers/{arxiv_id}/", "/search/?q=Robust", "/", "/categories/cs.SD/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode())
    # A feed reader shows the summary as HTML: the title in it must be text, not a tag.
    summary = ET.fromstring(client.get("/feed/").content).find(f"{ATOM}entry/{ATOM}summary").text
    assert_inert(f"<main>{summary}</main>")
    assert "&lt;script&gt;" in summary


def test_payloads_show_as_text_on_the_day_page(client, hostile_day):
    html = client.get("/days/2026-01-09/").content.decode()
    assert "&lt;script&gt;alert(\"title\")&lt;/script&gt;" in html or "&lt;script&gt;alert(&quot;title&quot;)" in html
    assert "Robust ASR" in html and "粗体" in html and "链接" in html


def test_the_markdown_itself_carries_no_live_tags(hostile_day):
    day, _ = hostile_day
    markdown = day.live_publication.markdown
    body = markdown.split("\n## ", 1)[1]
    # Only the post's own structure is markup; the payloads' tags became text (&lt;).
    tags = set(re.findall(r"<(/?[a-zA-Z]+)", body))
    assert tags <= {"details", "/details", "summary", "/summary", "div", "/div"}, tags
    assert "&lt;script&gt;" in body


def test_titles_are_text_not_markdown_on_the_day_page(client, drafted_day, editor, chief, django_capture_on_commit_callbacks):
    entry = drafted_day.entries.select_related("paper").get(position=1)
    Paper.objects.filter(pk=entry.paper.pk).update(title=r"$a*b*c$ \[ z \] __init__ #1 [link](https://x.org)")
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    public_cache_clear()
    html = client.get("/days/2026-01-09/").content.decode()
    heading = html[html.index("<h2>"):html.index("</h2>")]
    # No markdown: no emphasis, no link, the rest as written; the TeX is maths (MathML), not mangled.
    assert "<em>" not in heading and " __init__ #1 [link](https://x.org)" in heading
    # The one link is the site's own paper page (a trust mark), never one from the title.
    assert heading.count("<a ") == 1 and heading.startswith('<h2><a href="/papers/')
    assert heading.count("<math") == 2 and "<mo>*</mo>" in heading
