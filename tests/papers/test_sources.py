"""Paper sources (arXiv API, announcement feed, saved files), over real HTTP against tests.local_server."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from papers.arxiv_client import ArxivClient
from papers.sources import SourceError, api_search_query, fetch_from_api, fetch_from_rss, read_files
from tests.fake_time import FakeTime
from tests.local_server import Reply

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATEGORIES = ["cs.SD", "eess.AS"]
SINCE = dt.datetime(2026, 1, 9, 8, 50, tzinfo=SHANGHAI)
UNTIL = dt.datetime(2026, 1, 10, 6, 30, tzinfo=SHANGHAI)
EXPECTED_QUERY = "(cat:cs.SD OR cat:eess.AS) AND lastUpdatedDate:[202601090050 TO 202601092230]"
OWN_API_FILE = "sources_api_two_papers.xml"
OWN_RSS_FILE = "sources_rss_two_items.xml"


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def api_settings(settings, local_server):
    settings.ARXIV_API_URL = local_server.url + "/api/query"
    settings.ARXIV_RSS_URL = local_server.url + "/rss"
    return settings


@pytest.fixture
def client(api_settings, fake_time):
    client = ArxivClient(delay=0, backoff=1, retries=2, sleep=fake_time.sleep, clock=fake_time.clock)
    yield client
    client.close()


def fetch(client, **options):
    return fetch_from_api(categories=CATEGORIES, since=SINCE, until=UNTIL, client=client, **options)


# --- generated API answers ------------------------------------------------------------------------


def paper_id(number: int) -> str:
    return f"2601.{10000 + number:05d}"


def api_entry(number: int) -> str:
    return (
        f"<entry><id>http://arxiv.org/abs/{paper_id(number)}v1</id>"
        f"<title>Paper number {number}</title>"
        f"<updated>2026-01-09T0{number % 10}:00:00Z</updated><published>2026-01-08T00:00:00Z</published>"
        f"<summary>Abstract {number}.</summary>"
        '<category term="cs.SD" scheme="http://arxiv.org/schemas/atom"/>'
        '<arxiv:primary_category term="cs.SD"/>'
        "<author><name>A. Author</name></author></entry>"
    )


def api_page(numbers, *, total: int, start: int) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">'
        "<id>https://arxiv.org/api/generated</id><title>arXiv Query: generated</title>"
        "<updated>2026-01-10T00:00:00Z</updated>"
        f"<opensearch:itemsPerPage>{len(numbers)}</opensearch:itemsPerPage>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        + "".join(api_entry(number) for number in numbers)
        + "</feed>"
    ).encode()


class PagingArxiv:
    """Answers `start`/`max_results` from `count` papers; `empty_answers[start]` empty pages come first."""

    def __init__(
        self, count: int, empty_answers: dict[int, int] | None = None, short_pages: dict[int, int] | None = None
    ) -> None:
        self.count = count
        self.empty_answers = dict(empty_answers or {})
        # start -> how many entries to give there, fewer than asked (arXiv does that at times).
        self.short_pages = dict(short_pages or {})

    def __call__(self, request) -> Reply:
        start = int(request.query["start"][0])
        size = min(int(request.query["max_results"][0]), self.short_pages.get(start, 10**9))
        if self.empty_answers.get(start, 0) > 0:
            self.empty_answers[start] -= 1
            return Reply(body=api_page([], total=self.count, start=start))
        return Reply(body=api_page(range(start, min(start + size, self.count)), total=self.count, start=start))


def starts(server) -> list[int]:
    return [int(request.query["start"][0]) for request in server.requests]


# --- the query --------------------------------------------------------------------------------------


def test_search_query_uses_both_categories_and_a_gmt_last_updated_range():
    assert api_search_query(CATEGORIES, SINCE, UNTIL) == EXPECTED_QUERY


def test_search_query_gives_the_same_range_for_the_same_instants_in_any_zone():
    in_utc = api_search_query(CATEGORIES, SINCE.astimezone(dt.UTC), UNTIL.astimezone(dt.UTC))
    assert in_utc == EXPECTED_QUERY


# --- paging -----------------------------------------------------------------------------------------


def test_api_pages_through_all_results_with_the_expected_parameters(local_server, client):
    local_server.handler = PagingArxiv(5)
    progress = []

    result = fetch(client, page_size=2, progress=lambda received, total: progress.append((received, total)))

    assert starts(local_server) == [0, 2, 4]
    for request in local_server.requests:
        assert request.path == "/api/query"
        assert request.query["search_query"] == [EXPECTED_QUERY]
        assert request.query["max_results"] == ["2"]
        assert request.query["sortBy"] == ["lastUpdatedDate"]
        assert request.query["sortOrder"] == ["descending"]
    assert [paper.arxiv_id for paper in result.papers] == [paper_id(n) for n in range(5)]
    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert result.source == "api"
    assert result.formats == {"api"}
    assert len(result.requests) == 3
    assert all(url.startswith(local_server.url + "/api/query?") for url in result.requests)


def test_short_page_moves_start_by_what_came_back_not_by_page_size(local_server, client):
    local_server.handler = PagingArxiv(5, short_pages={0: 1})

    result = fetch(client, page_size=2)

    assert starts(local_server) == [0, 1, 3]
    assert [paper.arxiv_id for paper in result.papers] == [paper_id(n) for n in range(5)]


def test_api_pages_cut_from_a_real_answer_are_all_returned_in_order(local_server, client, arxiv_payloads):
    content = (arxiv_payloads / "api_atom_2026_search_all_testing_100entries.xml").read_text(encoding="utf-8")
    head = content[: content.index("<entry>")]
    head = re.sub(r"<opensearch:totalResults>\d+<", "<opensearch:totalResults>5<", head)
    entries = re.findall(r"<entry>.*?</entry>", content, flags=re.S)[:5]
    real_ids = [re.search(r"<id>https?://arxiv\.org/abs/([^<]+?)(v\d+)?</id>", entry)[1] for entry in entries]

    def real_pages(request):
        start, size = int(request.query["start"][0]), int(request.query["max_results"][0])
        return Reply(body=(head + "".join(entries[start : start + size]) + "</feed>").encode())

    local_server.handler = real_pages

    result = fetch(client, page_size=2)

    assert starts(local_server) == [0, 2, 4]
    assert [paper.arxiv_id for paper in result.papers] == real_ids


def test_a_page_whose_entries_are_all_left_out_is_not_taken_for_arxivs_empty_page(local_server, client):
    """An entry with an impossible date is left out (papers.feeds); its page still moves `start` on."""
    def impossible_on_page_two(request):
        body = PagingArxiv(5)(request).body
        if request.query["start"] == ["2"]:
            body = body.replace(b"<published>2026-01-08T00:00:00Z</published>", b"<published>2026-02-30T00:00:00Z</published>")
        return Reply(body=body)

    local_server.handler = impossible_on_page_two

    result = fetch(client, page_size=2)

    assert starts(local_server) == [0, 2, 4]
    assert [paper.arxiv_id for paper in result.papers] == [paper_id(n) for n in (0, 1, 4)]
    assert [line.split(" left out")[0] for line in result.refused] == [f"entry 1 ({paper_id(2)})", f"entry 2 ({paper_id(3)})"]


def test_api_waits_politely_between_pages(local_server, api_settings, fake_time):
    local_server.handler = PagingArxiv(5)
    with ArxivClient(delay=3, sleep=fake_time.sleep, clock=fake_time.clock) as polite:
        fetch(polite, page_size=2)

    assert fake_time.slept == [pytest.approx(3.0)] * 2


def test_api_without_a_client_uses_one_built_from_settings(local_server, api_settings):
    api_settings.ARXIV_USER_AGENT = "sources-tests/1.0 (mailto:tests@example.org)"
    local_server.handler = PagingArxiv(3)

    result = fetch_from_api(categories=CATEGORIES, since=SINCE, until=UNTIL, page_size=2)

    assert len(result.papers) == 3
    assert {request.headers["User-Agent"] for request in local_server.requests} == {
        "sources-tests/1.0 (mailto:tests@example.org)"
    }


# --- arXiv's empty-page glitch ----------------------------------------------------------------------


def test_empty_page_mid_results_is_retried_not_taken_as_end(local_server, client):
    local_server.handler = PagingArxiv(5, empty_answers={2: 1})
    progress = []

    result = fetch(client, page_size=2, empty_page_retries=3, progress=lambda *args: progress.append(args))

    assert starts(local_server) == [0, 2, 2, 4]
    assert [paper.arxiv_id for paper in result.papers] == [paper_id(n) for n in range(5)]
    assert progress == [(2, 5), (4, 5), (5, 5)]
    # The page asked twice is listed once in the audit record.
    assert len(result.requests) == 3


def test_empty_page_retries_start_afresh_on_each_page(local_server, client):
    local_server.handler = PagingArxiv(5, empty_answers={2: 1, 4: 1})

    result = fetch(client, page_size=2, empty_page_retries=1)

    assert starts(local_server) == [0, 2, 2, 4, 4]
    assert len(result.papers) == 5


def test_empty_page_that_stays_empty_beyond_the_retries_fails_clearly(local_server, client):
    local_server.handler = PagingArxiv(5, empty_answers={2: 99})

    with pytest.raises(SourceError) as caught:
        fetch(client, page_size=2, empty_page_retries=2)

    message = str(caught.value)
    assert "empty page at start=2 of 5 results" in message
    assert "3 tries" in message
    assert starts(local_server) == [0, 2, 2, 2]


def test_empty_first_answer_with_no_results_is_no_papers_and_no_error(local_server, client, arxiv_payloads):
    local_server.handler = lambda request: Reply(
        body=(arxiv_payloads / "api_atom_2026_empty_totalResults0_id_0000.0000.xml").read_bytes()
    )
    progress = []

    result = fetch(client, page_size=2, progress=lambda *args: progress.append(args))

    assert result.papers == []
    assert len(local_server.requests) == 1
    assert progress == []


# --- errors from the API --------------------------------------------------------------------------


def test_http_400_with_the_api_error_entry_reports_arxivs_reason(local_server, client, arxiv_payloads):
    error_body = (arxiv_payloads / "api_atom_2026_error_http400_incorrect_id_format.xml").read_bytes()
    local_server.handler = lambda request: Reply(status=400, body=error_body)

    with pytest.raises(SourceError) as caught:
        fetch(client, page_size=2)

    message = str(caught.value)
    assert "HTTP 400" in message
    assert "incorrect id format" in message
    assert "\n" not in message
    assert len(local_server.requests) == 1


def test_error_entry_answered_with_http_200_is_an_error(local_server, client, arxiv_payloads):
    error_body = (arxiv_payloads / "api_atom_2026_error_http400_incorrect_id_format.xml").read_bytes()
    local_server.handler = lambda request: Reply(status=200, body=error_body)

    with pytest.raises(SourceError, match="incorrect id format") as caught:
        fetch(client, page_size=2)

    assert "start=0" in str(caught.value)


def test_html_page_answered_with_200_is_reported_as_html(local_server, client):
    local_server.handler = lambda request: Reply(
        body=b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>arXiv is down for maintenance</body></html>",
        headers={"Content-Type": "text/html"},
    )

    with pytest.raises(SourceError, match="got an HTML page") as caught:
        fetch(client, page_size=2)

    assert "maintenance" in str(caught.value)


def test_malformed_xml_is_an_error(local_server, client):
    truncated = api_page([0, 1], total=2, start=0)[:-60]
    local_server.handler = lambda request: Reply(body=truncated)

    with pytest.raises(SourceError, match="malformed XML"):
        fetch(client, page_size=2)


def test_503_for_ever_fails_naming_the_status(local_server, client):
    local_server.handler = lambda request: Reply(status=503, body=b"", headers={"Content-Type": "text/plain"})

    with pytest.raises(SourceError) as caught:
        fetch(client, page_size=2)

    assert "HTTP 503" in str(caught.value)
    assert "3 attempts" in str(caught.value)
    assert len(local_server.requests) == 3


def test_http_error_with_a_plain_text_body_is_not_blamed_on_malformed_xml(local_server, client):
    local_server.handler = lambda request: Reply(
        status=503, body=b"Service Unavailable", headers={"Content-Type": "text/plain"}
    )

    with pytest.raises(SourceError) as caught:
        fetch(client, page_size=2)

    message = str(caught.value)
    assert "HTTP 503" in message
    assert "malformed" not in message
    assert "syntax error" not in message


def test_announcement_feed_answered_by_the_api_url_is_refused(local_server, client, own_data):
    rss = (own_data / OWN_RSS_FILE).read_bytes()
    local_server.handler = lambda request: Reply(body=rss, headers={"Content-Type": "application/rss+xml"})

    with pytest.raises(SourceError, match="expected an API answer, got a rss feed"):
        fetch(client, page_size=2)


# --- the announcement feed -----------------------------------------------------------------------


def test_rss_asks_the_combined_category_feed_and_keeps_announce_types(local_server, client, arxiv_payloads):
    feed = (arxiv_payloads / "rss2_2026-09-24_cs.LG+cs.AI+cs.CL+stat.ML_trimmed4.xml").read_bytes()
    local_server.handler = lambda request: Reply(body=feed, headers={"Content-Type": "application/rss+xml"})
    progress = []

    result = fetch_from_rss(categories=CATEGORIES, client=client, progress=lambda *args: progress.append(args))

    assert [request.path for request in local_server.requests] == ["/rss/cs.SD+eess.AS"]
    assert result.requests == [local_server.url + "/rss/cs.SD+eess.AS"]
    assert result.source == "rss"
    assert result.formats == {"rss"}
    assert [(paper.arxiv_id, paper.version, paper.announce_type) for paper in result.papers] == [
        ("2609.26811", 1, "new"),
        ("2609.26820", 1, "new"),
        ("2205.06398", 2, "cross"),
        ("2009.13987", 3, "replace"),
    ]
    assert progress == [(4, 4)]


def test_rss_url_with_a_trailing_slash_gives_the_same_feed_path(local_server, client, api_settings, own_data):
    api_settings.ARXIV_RSS_URL = local_server.url + "/rss/"
    feed = (own_data / OWN_RSS_FILE).read_bytes()
    local_server.handler = lambda request: Reply(body=feed, headers={"Content-Type": "application/rss+xml"})

    result = fetch_from_rss(categories=CATEGORIES, client=client)

    assert [request.path for request in local_server.requests] == ["/rss/cs.SD+eess.AS"]
    assert [paper.announce_type for paper in result.papers] == ["new", "replace"]


def test_rss_error_feed_for_a_bad_archive_is_an_error(local_server, client, arxiv_payloads):
    feed = (arxiv_payloads / "rss2_2024-11-28_error_bad_archive.xml").read_bytes()
    local_server.handler = lambda request: Reply(body=feed, headers={"Content-Type": "application/rss+xml"})

    with pytest.raises(SourceError, match="Bad archive 'astroph'"):
        fetch_from_rss(categories=CATEGORIES, client=client)


def test_rss_error_feed_sent_with_an_http_error_status_keeps_arxivs_reason(local_server, client, arxiv_payloads):
    feed = (arxiv_payloads / "rss2_2024-11-28_error_bad_archive.xml").read_bytes()
    local_server.handler = lambda request: Reply(status=400, body=feed, headers={"Content-Type": "application/rss+xml"})

    with pytest.raises(SourceError) as caught:
        fetch_from_rss(categories=CATEGORIES, client=client)

    assert "HTTP 400" in str(caught.value)
    assert "Bad archive 'astroph'" in str(caught.value)


def test_rss_http_failure_is_a_source_error(local_server, client):
    local_server.handler = lambda request: Reply(status=404, body=b"not found", headers={"Content-Type": "text/plain"})

    with pytest.raises(SourceError, match="HTTP 404"):
        fetch_from_rss(categories=CATEGORIES, client=client)


# --- saved files -------------------------------------------------------------------------------------


def test_read_files_reads_several_files_in_order_and_records_their_formats(own_data, arxiv_payloads):
    paths = [own_data / OWN_RSS_FILE, arxiv_payloads / "api_atom_2026_id_1605.08386.xml", own_data / OWN_API_FILE]
    progress = []

    result = read_files([str(paths[0]), *paths[1:]], progress=lambda *args: progress.append(args))

    assert [paper.arxiv_id for paper in result.papers] == [
        "2601.05001", "2512.09002", "1605.08386", "2601.04001", "2601.04002",
    ]
    assert result.source == "file"
    assert result.formats == {"rss", "api"}
    assert result.requests == [str(path.resolve()) for path in paths]
    assert progress == [(2, None), (3, None), (5, None)]


def test_read_files_missing_file_fails_with_cannot_read(own_data, tmp_path):
    missing = tmp_path / "nowhere.xml"

    with pytest.raises(SourceError) as caught:
        read_files([own_data / OWN_API_FILE, missing])

    assert str(caught.value).startswith(f"cannot read {missing}")
    assert "No such file" in str(caught.value)


def test_read_files_file_that_is_not_a_feed_fails_naming_the_file(own_data, tmp_path):
    notes = tmp_path / "notes.xml"
    notes.write_text("these are my notes, not a feed\n", encoding="utf-8")

    with pytest.raises(SourceError) as caught:
        read_files([own_data / OWN_API_FILE, notes])

    assert str(notes) in str(caught.value)


def test_read_files_directory_is_reported_as_unreadable(tmp_path):
    with pytest.raises(SourceError, match=f"cannot read {re.escape(str(tmp_path))}"):
        read_files([Path(tmp_path)])


def test_glitch_page_claiming_zero_results_mid_set_is_retried(local_server, client):
    local_server.queue.extend(
        [
            Reply(body=api_page([0, 1], total=5, start=0)),
            Reply(body=api_page([], total=0, start=2)),  # the glitch: empty, and "no results at all"
        ]
    )
    local_server.handler = PagingArxiv(5)

    result = fetch(client, page_size=2, empty_page_retries=2)

    assert starts(local_server) == [0, 2, 2, 4]
    assert len(result.papers) == 5


def test_blank_answer_mid_set_is_retried_like_an_empty_page(local_server, client):
    local_server.queue.extend([Reply(body=api_page([0, 1], total=4, start=0)), Reply(body=b"  \n")])
    local_server.handler = PagingArxiv(4)

    result = fetch(client, page_size=2, empty_page_retries=2)

    assert starts(local_server) == [0, 2, 2]
    assert len(result.papers) == 4


def test_audit_record_lists_the_urls_asked_properly_encoded(local_server, client):
    local_server.handler = PagingArxiv(1)
    result = fetch(client, page_size=2)
    assert result.requests == [
        local_server.url
        + "/api/query?search_query=%28cat%3Acs.SD+OR+cat%3Aeess.AS%29+AND+lastUpdatedDate%3A%5B202601090050+TO+"
        "202601092230%5D&start=0&max_results=2&sortBy=lastUpdatedDate&sortOrder=descending"
    ]
