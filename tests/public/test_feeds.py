"""Feeds that validate: absolute, stable tag: ids, unique; `published` is a day's first publication and
`updated` its latest version; a feed per category; JSON Feed 1.1 beside Atom; autodiscovery links."""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import feedparser
import pytest
from django.utils.dateparse import parse_datetime

from public.page_cache import public_cache_clear
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from tests.builders import edit

ATOM = "{http://www.w3.org/2005/Atom}"
TAG_URI = re.compile(r"^tag:[a-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:\S+$")


def atom_problems(document: bytes) -> list[str]:
    """What RFC 4287 requires of a feed that this one lacks (the checks a feed validator makes)."""
    feed = ET.fromstring(document)
    problems = []
    if feed.tag != f"{ATOM}feed":
        return ["not an Atom feed"]
    for name in ("id", "title", "updated"):
        if feed.find(f"{ATOM}{name}") is None:
            problems.append(f"feed has no {name}")
    if not any(link.get("rel") == "self" for link in feed.findall(f"{ATOM}link")):
        problems.append("feed has no self link")
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        ids.append(entry_id)
        if not TAG_URI.match(entry_id):
            problems.append(f"entry id {entry_id!r} is not an absolute tag: URI")
        for name in ("title", "updated"):
            if entry.find(f"{ATOM}{name}") is None:
                problems.append(f"entry {entry_id} has no {name}")
        updated = parse_datetime(entry.findtext(f"{ATOM}updated") or "")
        published = parse_datetime(entry.findtext(f"{ATOM}published") or "")
        if updated is None or updated.tzinfo is None:
            problems.append(f"entry {entry_id} updated is not an RFC 3339 date")
        if published and updated and published > updated:
            problems.append(f"entry {entry_id} published after it was updated")
        for link in entry.findall(f"{ATOM}link"):
            if not link.get("href", "").startswith(("http://", "https://")):
                problems.append(f"entry {entry_id} link {link.get('href')!r} is not absolute")
    if len(ids) != len(set(ids)):
        problems.append("entry ids repeat")
    return problems


@pytest.fixture
def corrected_day(published_day, editor, chief, django_capture_on_commit_callbacks):
    """The demo day published, then corrected and published again as version 2 an hour later."""
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh="更正后的标题")
    entry_approve(entry=entry, user=editor)
    with django_capture_on_commit_callbacks(execute=True):
        result = day_publish(day=published_day, user=chief)
    type(result.publication).objects.filter(pk=result.publication.pk).update(
        published_at=result.publication.published_at + dt.timedelta(hours=1))
    public_cache_clear()
    return published_day


@pytest.mark.parametrize("url", ["/feed/", "/categories/cs.SD/feed/", "/categories/eess.AS/feed/"])
def test_the_atom_feeds_follow_the_atom_rules(client, corrected_day, url):
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert atom_problems(response.content) == []
    assert ET.fromstring(response.content).findall(f"{ATOM}entry")


def test_a_days_entry_keeps_its_id_and_first_publication_time_across_versions(client, corrected_day):
    entry = ET.fromstring(client.get("/feed/").content).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == "tag:127.0.0.1,2026:day/2026-01-09"
    first, second = corrected_day.publications.order_by("version")
    assert parse_datetime(entry.findtext(f"{ATOM}published")) == first.published_at
    assert parse_datetime(entry.findtext(f"{ATOM}updated")) == second.published_at


def test_a_category_feed_has_one_entry_per_paper_of_the_category(client, corrected_day):
    feed = ET.fromstring(client.get("/categories/eess.AS/feed/").content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
    assert any("更正后的标题" in title for title in titles)
    assert all(entry.findtext(f"{ATOM}id").startswith("tag:127.0.0.1,2026:paper/") for entry in feed.findall(f"{ATOM}entry"))
    assert client.get("/categories/not a category/feed/").status_code == 404


@pytest.mark.parametrize("url", ["/feed.json", "/categories/cs.SD/feed.json"])
def test_the_json_feeds_are_json_feed_1_1(client, corrected_day, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("application/feed+json")
    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["feed_url"].endswith(url)
    ids = [item["id"] for item in feed["items"]]
    assert ids and len(ids) == len(set(ids)) and all(TAG_URI.match(item_id) for item_id in ids)
    for item in feed["items"]:
        assert item["url"].startswith("http") and parse_datetime(item["date_modified"]).tzinfo is not None
        assert parse_datetime(item["date_published"]) <= parse_datetime(item["date_modified"])


def test_every_page_announces_its_feeds(client, corrected_day):
    for url in ["/", "/days/2026-01-09/", "/papers/2601.90008/", "/search/?q=声码器"]:
        page = client.get(url).content.decode()
        assert 'type="application/atom+xml"' in page and 'type="application/feed+json"' in page, url
    category = client.get("/categories/cs.SD/").content.decode()
    assert 'href="/categories/cs.SD/feed/"' in category and 'href="/categories/cs.SD/feed.json"' in category


@pytest.fixture
def day_with_markup_in_an_abstract(published_day, editor, chief, django_capture_on_commit_callbacks):
    """The demo day published again with an eess.AS paper's abstract holding emphasis, a script and a bad link."""
    entry = published_day.entries.select_related("paper").get(paper__arxiv_id="2601.90006")
    edit(entry, editor, django_capture_on_commit_callbacks,
         abstract_zh="我们提出**相位感知**方法。<script>alert(1)</script>[点此](javascript:alert(1))")
    entry_approve(entry=entry, user=editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=published_day, user=chief)
    public_cache_clear()
    return published_day


class Markup(HTMLParser):
    """The elements and attributes an HTML fragment holds, and its text, as a browser would read them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    def handle_data(self, data):
        self.text += data


def assert_html_once_and_safe(html: str) -> None:
    markup = Markup(html)
    assert markup.tags[:2] == ["p", "p"] and "strong" in markup.tags
    assert "<p>" not in markup.text and "<strong>" not in markup.text  # markup is markup, not text showing tags
    assert "script" not in markup.tags and not any("javascript:" in value for _, value in markup.attributes)
    assert "我们提出相位感知方法。" in markup.text


def test_a_category_feeds_content_is_html_once_and_sanitised_as_a_feed_reader_reads_it(
        client, day_with_markup_in_an_abstract):
    """The abstract's HTML was escaped a second time: every reader saw a literal <p>…</p>."""
    # feedparser's own sanitiser off: what the site sends must be safe by itself.
    feed = feedparser.parse(client.get("/categories/eess.AS/feed/").content, sanitize_html=False)
    assert not feed.bozo and feed.entries
    assert_html_once_and_safe(next(entry.summary for entry in feed.entries if "2601.90006" in entry.link))
    for entry in feed.entries:
        assert Markup(entry.summary).tags[:2] == ["p", "p"]


def test_a_json_category_feeds_content_html_is_html_once_and_sanitised(client, day_with_markup_in_an_abstract):
    items = json.loads(client.get("/categories/eess.AS/feed.json").content)["items"]
    assert_html_once_and_safe(next(item["content_html"] for item in items if item["url"].endswith("/papers/2601.90006/")))
