"""Readers' side of several digests: each digest's pages, feeds, sitemaps, search and archive files show its own
days and papers and nothing of another's; the first digest keeps the site's root paths (its /d/<slug>/ paths
redirect there for good); an unknown digest is a 404."""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from digests.models import Digest
from digests.roles import digest_roles_give
from digests.services import digest_add
from papers.models import Paper
from public.archive_files.services import archive_files_rebuild
from public.page_cache import public_cache_clear
from publishing.days.windows import window_of
from publishing.models import DigestDay, Entry, PublishedPaper
from publishing.posts.publication import day_publish
from tests.builders import DEMO_DATE, approve_all
from translations.models import Revision

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SHARED = "2601.90008"  # a demo paper both digests publish on DEMO_DATE
FIRST_ONLY = "2601.90007"  # a demo paper only the first digest publishes
SECOND_ONLY = "2601.80001"  # "Secondmark …", only the second digest's, on DEMO_DATE
SECOND_EARLIER = "2601.80002"  # "Earliermark …", only the second digest's, the day before
EARLIER = DEMO_DATE - dt.timedelta(days=1)


def _paper_like(template: Paper, arxiv_id: str, title: str, title_zh: str) -> Paper:
    """A new paper with the template's first revision, under another id and title."""
    text = template.revisions.get(number=1).text()
    paper = Paper.objects.get(pk=template.pk)
    paper.pk, paper.arxiv_id, paper.title = None, arxiv_id, title
    paper.save()
    Revision.objects.create(paper=paper, number=1, **{**text, "title_zh": title_zh})
    return paper


def _day_published(digest: Digest, date: dt.date, papers: list[Paper], editor, chief, capture) -> DigestDay:
    window = window_of(digest, date)
    day = DigestDay.objects.create(digest=digest, date=date, window_start=window.start, window_end=window.end,
                                   status=DigestDay.Status.IN_REVIEW)
    for position, paper in enumerate(papers, start=1):
        Entry.objects.create(day=day, paper=paper, paper_version=paper.version, kind="new", position=position,
                             state=Entry.State.IN_REVIEW)
    digest_roles_give(user=editor, role="editor", digests=[digest])
    digest_roles_give(user=chief, role="chief", digests=[digest])
    approve_all(day, editor, despite_errors=True)
    with capture(execute=True):
        day_publish(day=day, user=chief)
    return DigestDay.objects.get(pk=day.pk)


@pytest.fixture
def two_digests(published_day, editor, chief, django_capture_on_commit_callbacks):
    """The first digest's demo day, and a second digest ("audio") whose DEMO_DATE holds one of those papers and
    one of its own, and whose day before holds another of its own."""
    template = Paper.objects.get(arxiv_id=SHARED)
    second = digest_add(slug="audio", name="Audio Weekly", categories=["cs.SD", "eess.AS"],
                        title_pattern="Audio Weekly – {date}", description="Sound, speech and music.")
    own = _paper_like(template, SECOND_ONLY, "Secondmark neural codec", "第二专题独有论文")
    earlier = _paper_like(template, SECOND_EARLIER, "Earliermark speech model", "第二专题更早论文")
    _day_published(second, EARLIER, [earlier], editor, chief, django_capture_on_commit_callbacks)
    _day_published(second, DEMO_DATE, [template, own], editor, chief, django_capture_on_commit_callbacks)
    public_cache_clear()
    return Digest.objects.home(), second


def _urls(prefix: str) -> list[str]:
    """Every kind of public URL a digest has, for DEMO_DATE and the shared paper."""
    day = f"{DEMO_DATE:%Y-%m-%d}"
    return [f"{prefix}/{path}" for path in (
        "", f"days/{day}/", f"days/{day}.md", f"days/{day}/versions/", f"papers/{SHARED}/",
        "categories/cs.SD/", "categories/cs.SD/feed/", "categories/cs.SD/feed.json",
        "search/?q=codec", f"search/?q={SHARED}", "search/?q=neural", "feed/", "feed.json",
        "sitemap.xml", "sitemap-days.xml", "sitemap-papers.xml",
    )]


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


FIRST_MARKS = (FIRST_ONLY, "arXiv Daily –")
# (Its earlier date is in the first digest's post too, as the start of the day's window: its link is not.)
SECOND_MARKS = (SECOND_ONLY, SECOND_EARLIER, "Secondmark", "Earliermark", "第二专题", "Audio Weekly", "/d/audio/",
                f"days/{EARLIER:%Y-%m-%d}")


def test_each_digest_shows_its_own_days_and_papers_and_nothing_of_the_others(client, two_digests):
    first, second = two_digests
    first_pages = {url: _get(client, url) for url in _urls("")}
    second_pages = {url: _get(client, url) for url in _urls("/d/audio")}

    # The root page lists every digest, and the root sitemap index every digest's sections: the rest is the first's.
    listing_every_digest = {"/", "/sitemap.xml"}
    leaks = [(url, mark) for url, body in first_pages.items() if url not in listing_every_digest
             for mark in SECOND_MARKS if mark in body]
    leaks += [(url, mark) for url, body in second_pages.items() for mark in FIRST_MARKS if mark in body]
    assert not leaks
    for mark in (SECOND_ONLY, "Secondmark", SECOND_EARLIER):
        assert mark not in first_pages["/"] and mark not in first_pages["/sitemap.xml"]

    # Each page shows its own digest's content.
    for url in ("/", "/feed/", "/feed.json", "/days/2026-01-09/", "/days/2026-01-09.md", "/sitemap-papers.xml",
                "/categories/cs.SD/", "/categories/cs.SD/feed/", "/search/?q=2601.90008"):
        assert SHARED in first_pages[url] or "arXiv Daily –" in first_pages[url], url
    for url in ("/d/audio/", "/d/audio/feed/", "/d/audio/feed.json", "/d/audio/days/2026-01-09/",
                "/d/audio/days/2026-01-09.md", "/d/audio/sitemap-papers.xml", "/d/audio/categories/cs.SD/",
                "/d/audio/categories/cs.SD/feed/", "/d/audio/categories/cs.SD/feed.json", "/d/audio/search/?q=codec"):
        assert any(mark in second_pages[url] for mark in (SECOND_ONLY, "Secondmark", "第二专题独有论文")), url
    assert "Audio Weekly – 2026-01-09" in second_pages["/d/audio/days/2026-01-09/"]
    assert 'title: "Audio Weekly – 2026-01-09"' in second_pages["/d/audio/days/2026-01-09.md"]
    assert "Audio Weekly" in second_pages["/d/audio/papers/2601.90008/"]  # the header names the digest
    # Search finds only the digest's own papers.
    assert "Secondmark" in second_pages["/d/audio/search/?q=neural"]
    assert "Secondmark" not in first_pages["/search/?q=neural"]
    # The previous day links within the digest only: the first digest has nothing before DEMO_DATE.
    assert "/d/audio/days/2026-01-08/" in second_pages["/d/audio/days/2026-01-09/"]
    assert "days/2026-01-08" not in first_pages["/days/2026-01-09/"]


def test_the_root_lists_every_digest_and_keeps_the_first_digests_archive(client, two_digests):
    first, second = two_digests
    root = _get(client, "/")
    assert "各个专题" in root
    for digest in (first, second):
        assert digest.name in root
    assert 'href="/d/audio/"' in root and "Sound, speech and music." in root
    assert 'href="/d/audio/days/2026-01-09/"' in root  # its latest public day
    assert 'href="/days/2026-01-09/"' in root  # the first digest's archive, as before
    assert "Earliermark" not in root and "Secondmark" not in root


def test_the_first_digests_pages_are_as_they_were_before_a_second_digest(client, published_day, editor, chief,
                                                                         django_capture_on_commit_callbacks):
    def main(body: str) -> str:  # the header names the digest once there are several; the content is unchanged
        return re.sub(r"<header class=\"site\">.*?</header>|<title>.*?</title>|<link rel=\"alternate\"[^>]*>", "",
                      body, flags=re.S)

    before = {url: _get(client, url) for url in _urls("")}
    assert "各个专题" not in before["/"] and 'class="digest-name"' not in before["/"]  # one digest: the page as it was
    template = Paper.objects.get(arxiv_id=SHARED)
    second = digest_add(slug="audio", name="Audio Weekly", categories=["cs.SD"], title_pattern="Audio Weekly – {date}")
    _day_published(second, DEMO_DATE, [template], editor, chief, django_capture_on_commit_callbacks)
    public_cache_clear()
    after = {url: _get(client, url) for url in _urls("")}
    for url in after:
        if url in ("/", "/sitemap.xml"):
            continue
        if "<html" in after[url]:
            assert main(after[url]) == main(before[url]), url
        else:
            assert after[url] == before[url], url
    assert "Audio Weekly" in after["/"]


def test_the_first_digest_under_d_redirects_for_good_and_an_unknown_digest_is_not_found(client, two_digests):
    first, second = two_digests
    for url in _urls(f"/d/{first.slug}"):
        response = client.get(url)
        assert response.status_code == 301, url
        assert response["Location"] == url.removeprefix(f"/d/{first.slug}"), url
    for url in ("/d/nope/", "/d/nope/days/2026-01-09/", "/d/nope/feed/", "/d/nope/sitemap.xml"):
        assert client.get(url).status_code == 404, url


def test_a_paper_page_leads_to_the_digest_that_published_it(client, two_digests):
    first, second = two_digests
    assert client.get(f"/papers/{SHARED}/").status_code == 200
    assert client.get(f"/d/audio/papers/{SHARED}/").status_code == 200
    only_second = client.get(f"/papers/{SECOND_ONLY}/")
    assert (only_second.status_code, only_second["Location"]) == (302, f"/d/audio/papers/{SECOND_ONLY}/")
    only_first = client.get(f"/d/audio/papers/{FIRST_ONLY}/")
    assert (only_first.status_code, only_first["Location"]) == (302, f"/papers/{FIRST_ONLY}/")
    versioned = client.get(f"/d/audio/papers/{SECOND_ONLY}v1/")
    assert (versioned.status_code, versioned["Location"]) == (301, f"/d/audio/papers/{SECOND_ONLY}/")
    assert client.get("/d/audio/papers/2601.99999/").status_code == 404


def test_feed_ids_stay_as_they_were_for_the_first_digest_and_are_the_digests_own_for_another(client, two_digests):
    first_feed = json.loads(_get(client, "/feed.json"))
    second_feed = json.loads(_get(client, "/d/audio/feed.json"))
    # tag:<host>,2026:day/2026-01-09, as before the second digest: feed readers see no old entry as new.
    assert [item["id"].split(":", 2)[2] for item in first_feed["items"]] == ["day/2026-01-09"]
    assert [item["id"].split(":", 2)[2] for item in second_feed["items"]] == ["audio/day/2026-01-09",
                                                                               "audio/day/2026-01-08"]
    assert second_feed["items"][0]["url"].endswith("/d/audio/days/2026-01-09/")
    assert second_feed["title"].endswith("Audio Weekly")
    atom = ET.fromstring(_get(client, "/d/audio/categories/cs.SD/feed/"))
    ids = [entry.findtext("{http://www.w3.org/2005/Atom}id") for entry in atom.iter("{http://www.w3.org/2005/Atom}entry")]
    assert ids and all(":audio/paper/" in entry_id for entry_id in ids)
    first_atom = ET.fromstring(_get(client, "/categories/cs.SD/feed/"))
    first_ids = [entry.findtext("{http://www.w3.org/2005/Atom}id")
                 for entry in first_atom.iter("{http://www.w3.org/2005/Atom}entry")]
    assert first_ids and all(re.search(r":paper/2601\.9000\d/2026-01-09$", entry_id) for entry_id in first_ids)


def test_sitemaps_list_each_digests_own_pages_and_the_root_index_every_digests_sections(client, two_digests):
    def locations(url):
        return [loc.text.replace("http://testserver", "") for loc in ET.fromstring(_get(client, url)).iter(f"{SITEMAP}loc")]

    assert locations("/sitemap.xml") == ["/sitemap-days.xml", "/sitemap-papers.xml",
                                         "/d/audio/sitemap-days.xml", "/d/audio/sitemap-papers.xml"]
    assert locations("/d/audio/sitemap.xml") == ["/d/audio/sitemap-days.xml", "/d/audio/sitemap-papers.xml"]
    assert locations("/d/audio/sitemap-days.xml") == ["/d/audio/days/2026-01-09/", "/d/audio/days/2026-01-08/"]
    assert set(locations("/d/audio/sitemap-papers.xml")) == {f"/d/audio/papers/{arxiv_id}/"
                                                            for arxiv_id in (SHARED, SECOND_ONLY, SECOND_EARLIER)}
    assert locations("/sitemap-days.xml") == ["/days/2026-01-09/"]
    assert f"/papers/{SECOND_ONLY}/" not in locations("/sitemap-papers.xml")
    assert "Sitemap: http://testserver/sitemap.xml" in _get(client, "/robots.txt")


def test_a_digests_pages_make_a_fixed_number_of_queries(client, two_digests, django_assert_max_num_queries):
    _get(client, "/d/audio/")  # the digests are read once per DIGEST_PUBLIC_RECHECK_SECONDS
    for url in _urls("/d/audio"):
        public_cache_clear()
        with django_assert_max_num_queries(5 if "sitemap.xml" not in url else 4):
            _get(client, url)


def test_the_published_rows_carry_their_days_digest(two_digests):
    first, second = two_digests
    shared = PublishedPaper.objects.filter(arxiv_id=SHARED, live=True)
    assert sorted(shared.values_list("digest__slug", flat=True)) == sorted([first.slug, "audio"])
    assert {row.digest_id for row in PublishedPaper.objects.select_related("publication__day")
            if row.digest_id != row.publication.day.digest_id} == set()
    assert set(PublishedPaper.objects.public(second).values_list("arxiv_id", flat=True)) == {
        SHARED, SECOND_ONLY, SECOND_EARLIER}


def test_each_digests_archive_files_are_under_its_own_path(client, settings, tmp_path, two_digests):
    root = tmp_path / "archive"
    settings.DIGEST_SITE_URL = "http://testserver"
    settings.DIGEST_STATIC_ARCHIVE_DIR = str(root)
    archive_files_rebuild(root=root)
    first_day = (root / "days/2026-01-09/index.html").read_text()
    second_day = (root / "d/audio/days/2026-01-09/index.html").read_text()
    assert FIRST_ONLY in first_day and SECOND_ONLY not in first_day
    assert SECOND_ONLY in second_day and FIRST_ONLY not in second_day
    assert (root / f"d/audio/papers/{SECOND_ONLY}/index.html").is_file()
    assert not (root / f"papers/{SECOND_ONLY}").exists()  # the root's page of it is a redirect, not a file
    assert not (root / f"d/audio/papers/{FIRST_ONLY}").exists()
    for path in ("d/audio/feed/index.html", "d/audio/feed.json", "d/audio/sitemap.xml", "d/audio/sitemap-days.xml",
                 "d/audio/categories/cs.SD/index.html", "d/audio/categories/cs.SD/feed.json", "d/audio/index.html"):
        body = (root / path).read_text()
        assert not [mark for mark in FIRST_MARKS if mark in body], path
    assert not (root / "d" / Digest.objects.home().slug).exists()
    # The files are what the views answer.
    settings.DIGEST_STATIC_ARCHIVE_DIR = None
    public_cache_clear()
    assert _get(client, "/d/audio/days/2026-01-09/") == second_day


def test_a_day_public_in_its_digests_time_zone(two_digests, monkeypatch):
    first, second = two_digests
    second.time_zone = "Pacific/Kiritimati"  # UTC+14: its DEMO_DATE comes before the first digest's
    second.save()
    now = dt.datetime.combine(EARLIER, dt.time(11), tzinfo=dt.UTC)  # 2026-01-09 01:00 there, 2026-01-08 in Shanghai
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    assert DEMO_DATE in DigestDay.objects.public(second).values_list("date", flat=True)
    assert DEMO_DATE not in DigestDay.objects.public(first).values_list("date", flat=True)
    assert DigestDay.objects.public_in_every_digest().filter(date=DEMO_DATE).get().digest_id == second.pk


def test_digest_of_a_page_is_read_once_per_window(client, two_digests, settings):
    settings.DIGEST_PUBLIC_RECHECK_SECONDS = 60
    _get(client, "/d/audio/")
    with CaptureQueriesContext(connection) as queries:
        _get(client, "/d/audio/days/2026-01-09/")
        _get(client, "/d/audio/days/2026-01-09/")
    assert not [query for query in queries.captured_queries if query["sql"].startswith('SELECT "digests_digest"')]
    # A new digest is known at once in this process.
    digest_add(slug="speech", name="Speech", categories=["eess.AS"])
    assert client.get("/d/speech/").status_code == 200


def test_the_root_sitemap_index_is_one_query_whatever_the_number_of_digests(client, two_digests,
                                                                           django_assert_num_queries):
    def lastmods(url):
        return [mod.text for mod in ET.fromstring(_get(client, url)).iter(f"{SITEMAP}lastmod")]

    _get(client, "/sitemap.xml")  # the digests are read once per DIGEST_PUBLIC_RECHECK_SECONDS
    public_cache_clear()
    with django_assert_num_queries(1):
        two = _get(client, "/sitemap.xml")
    # Each section's last change: the days' newest publication, the papers' newest day; another digest's own.
    assert lastmods("/d/audio/sitemap.xml") == lastmods("/sitemap.xml")[2:] and len(lastmods("/sitemap.xml")) == 4
    for number in range(3, 6):
        digest_add(slug=f"more-{number}", name=f"More {number}", categories=["cs.CL"])
    _get(client, "/sitemap.xml")
    public_cache_clear()
    with django_assert_num_queries(1):
        five = _get(client, "/sitemap.xml")
    assert five.count("<sitemap>") == two.count("<sitemap>") + 6  # two sections of each empty digest
