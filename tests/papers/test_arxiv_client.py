"""The arXiv HTTP client, over real HTTP against tests.local_server (never a mocked httpx)."""

import datetime as dt
import email.utils
import socket

import pytest

from papers.arxiv_client import ArxivClient, ArxivHTTPError
from tests.fake_time import FakeTime
from tests.local_server import Reply

TEXT = {"Content-Type": "text/plain"}


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def make_client(fake_time):
    clients = []

    def make(**options) -> ArxivClient:
        options = {"delay": 0, "backoff": 1, "retries": 3, "sleep": fake_time.sleep, "clock": fake_time.clock} | options
        client = ArxivClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def ok(body: bytes = b"<feed/>") -> Reply:
    return Reply(status=200, body=body)


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- identification -------------------------------------------------------------------------


def test_every_request_carries_the_user_agent_from_settings(settings, local_server, make_client):
    settings.ARXIV_USER_AGENT = "audio-digest-tests/1.0 (mailto:tests@example.org)"
    local_server.queue += [Reply(status=503, body=b"busy", headers=TEXT), ok(b"first"), ok(b"second")]
    client = make_client()

    assert client.get(local_server.url + "/api/query") == b"first"
    assert client.get(local_server.url + "/api/query") == b"second"

    # The retried request after the 503 is identified too, not only the first of each call.
    assert [request.headers["User-Agent"] for request in local_server.requests] == [
        "audio-digest-tests/1.0 (mailto:tests@example.org)"
    ] * 3


def test_user_agent_given_to_the_constructor_wins_over_settings(settings, local_server, make_client):
    settings.ARXIV_USER_AGENT = "from-settings/1.0"
    local_server.handler = lambda request: ok()

    make_client(user_agent="from-constructor/2.0 (mailto:x@example.org)").get(local_server.url + "/api/query")

    assert local_server.requests[0].headers["User-Agent"] == "from-constructor/2.0 (mailto:x@example.org)"


# --- politeness -----------------------------------------------------------------------------


def test_first_call_does_not_wait_and_second_waits_the_polite_delay(local_server, make_client, fake_time):
    local_server.handler = lambda request: ok()
    client = make_client(delay=3)

    client.get(local_server.url + "/api/query")
    assert fake_time.slept == []

    client.get(local_server.url + "/api/query")
    assert fake_time.slept == [pytest.approx(3.0)]
    assert len(local_server.requests) == 2


def test_polite_delay_counts_time_already_spent_since_the_last_request(local_server, make_client, fake_time):
    local_server.handler = lambda request: ok()
    client = make_client(delay=3)

    client.get(local_server.url + "/api/query")
    fake_time.now += 1.0  # the caller spent a second parsing
    client.get(local_server.url + "/api/query")
    fake_time.now += 5.0  # more than the delay has passed: no wait at all
    client.get(local_server.url + "/api/query")

    assert fake_time.slept == [pytest.approx(2.0)]


def test_retry_waits_at_least_the_polite_delay_even_when_backoff_is_shorter(local_server, make_client, fake_time):
    local_server.queue += [Reply(status=503, body=b"busy", headers=TEXT), ok(b"done")]
    client = make_client(delay=3, backoff=1)

    assert client.get(local_server.url + "/api/query") == b"done"

    # 1 s of backoff, then the remaining 2 s of the 3 s between two requests.
    assert fake_time.slept == [pytest.approx(1.0), pytest.approx(2.0)]


# --- retries and backoff ----------------------------------------------------------------------


def test_503_then_200_is_retried_and_returns_the_body(local_server, make_client, fake_time):
    local_server.queue += [Reply(status=503, body=b"busy", headers=TEXT), ok(b"<feed>payload</feed>")]

    body = make_client(backoff=5).get(local_server.url + "/api/query")

    assert body == b"<feed>payload</feed>"
    assert len(local_server.requests) == 2
    assert fake_time.slept == [5.0]


def test_backoff_doubles_with_each_attempt(local_server, make_client, fake_time):
    local_server.queue += [Reply(status=status, body=b"oops", headers=TEXT) for status in (503, 502, 504)]
    local_server.queue.append(ok(b"finally"))

    body = make_client(backoff=5, retries=3).get(local_server.url + "/api/query")

    assert body == b"finally"
    assert fake_time.slept == [5.0, 10.0, 20.0]


def test_429_with_retry_after_seconds_waits_that_long_instead_of_backoff(local_server, make_client, fake_time):
    local_server.queue += [
        Reply(status=429, body=b"slow down", headers={"Content-Type": "text/plain", "Retry-After": "7"}),
        ok(b"thanks"),
    ]

    assert make_client(backoff=5).get(local_server.url + "/api/query") == b"thanks"

    assert fake_time.slept == [7.0]


def test_retry_after_as_http_date_is_understood(local_server, make_client, fake_time):
    in_a_minute = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    local_server.queue += [
        Reply(
            status=503,
            body=b"maintenance",
            headers={"Content-Type": "text/plain", "Retry-After": email.utils.format_datetime(in_a_minute, usegmt=True)},
        ),
        ok(b"back"),
    ]

    assert make_client(backoff=5).get(local_server.url + "/api/query") == b"back"

    # HTTP-dates have whole seconds, and a little time passes between serving and reading it.
    [waited] = fake_time.slept
    assert 55.0 <= waited <= 60.0


def test_huge_retry_after_is_capped(local_server, make_client, fake_time):
    local_server.queue += [
        Reply(status=429, body=b"", headers={"Content-Type": "text/plain", "Retry-After": "86400"}),
        ok(b"ok"),
    ]

    make_client().get(local_server.url + "/api/query")

    assert fake_time.slept == [300.0]


def test_500_beyond_the_retries_raises_with_status_and_attempts(local_server, make_client, fake_time):
    local_server.handler = lambda request: Reply(status=500, body=b"internal error", headers=TEXT)

    with pytest.raises(ArxivHTTPError) as caught:
        make_client(retries=2, backoff=1).get(local_server.url + "/api/query", params={"search_query": "cat:cs.SD"})

    error = caught.value
    message = str(error)
    assert "HTTP 500" in message
    assert "3 attempts" in message
    assert "\n" not in message
    assert error.status == 500
    assert error.body == b"internal error"
    assert len(local_server.requests) == 3
    assert fake_time.slept == [1.0, 2.0]  # no pointless wait after the last attempt


@pytest.mark.parametrize("status", [400, 404])
def test_client_errors_are_not_retried_and_carry_status_and_body(local_server, make_client, fake_time, status):
    local_server.handler = lambda request: Reply(status=status, body=b"<feed>the reason</feed>")

    with pytest.raises(ArxivHTTPError) as caught:
        make_client(retries=3).get(local_server.url + "/api/query")

    assert len(local_server.requests) == 1
    assert fake_time.slept == []
    assert caught.value.status == status
    assert caught.value.body == b"<feed>the reason</feed>"
    assert f"HTTP {status}" in str(caught.value)


# --- network failures -------------------------------------------------------------------------


def test_slow_reply_times_out_and_is_retried_until_it_succeeds(local_server, make_client):
    local_server.queue += [Reply(status=200, body=b"too late", delay=1.0), ok(b"in time")]

    body = make_client(timeout=0.15, retries=1).get(local_server.url + "/api/query")

    assert body == b"in time"
    assert len(local_server.requests) == 2


def test_reply_slower_than_timeout_every_time_raises_timed_out(local_server, make_client, fake_time):
    local_server.handler = lambda request: Reply(status=200, body=b"too late", delay=1.0)

    with pytest.raises(ArxivHTTPError) as caught:
        make_client(timeout=0.15, retries=1, backoff=2).get(local_server.url + "/api/query")

    assert "timed out after 0.15 s" in str(caught.value)
    assert "connection failed" not in str(caught.value)
    assert "2 attempts" in str(caught.value)
    assert caught.value.status is None
    assert len(local_server.requests) == 2
    assert fake_time.slept == [2.0]


def test_connection_refused_raises_connection_failed(make_client, fake_time):
    url = f"http://127.0.0.1:{unused_port()}/api/query"

    with pytest.raises(ArxivHTTPError) as caught:
        make_client(retries=2, backoff=1).get(url)

    message = str(caught.value)
    assert "connection failed" in message
    assert "3 attempts" in message
    assert "\n" not in message
    assert fake_time.slept == [1.0, 2.0]


def test_meaningless_retry_after_falls_back_to_backoff(local_server, make_client, fake_time):
    local_server.queue.extend([Reply(status=503, body=b"", headers={**TEXT, "Retry-After": "nan"}), ok()])
    make_client(backoff=4).get(local_server.url + "/api/query")
    assert fake_time.slept == [4]


def test_polite_delay_holds_across_clients_of_one_process(local_server, make_client, fake_time):
    """Two fetches in one worker (two clients) still keep arXiv's delay between their requests."""
    local_server.handler = lambda request: ok()
    make_client(delay=3).get(local_server.url + "/api/query")
    make_client(delay=3).get(local_server.url + "/api/query")
    assert fake_time.slept == [3]


def test_redirect_loop_is_a_clear_error_not_a_crash(local_server, make_client):
    local_server.handler = lambda request: Reply(status=302, body=b"", headers={"Location": "/api/query"})
    with pytest.raises(ArxivHTTPError, match="TooManyRedirects"):
        make_client().get(local_server.url + "/api/query")


# --- size ----------------------------------------------------------------------------------------

ONE_MB = 1_000_000


def long_answer(total: int = 32 * ONE_MB, chunk: bytes = b"<entry>" + b"x" * 65_529):
    """An answer sent chunk by chunk with no Content-Length, 32 times the tests' cap (a misbehaving
    proxy, or /dev/zero behind a URL, sends one that never ends)."""
    for _ in range(total // len(chunk)):
        yield chunk


def test_the_size_cap_is_the_one_a_saved_file_has():
    from papers.sources import MAX_FEED_FILE_BYTES

    assert ArxivClient().max_bytes == MAX_FEED_FILE_BYTES == 64_000_000


def test_an_answer_larger_than_the_cap_is_refused_before_it_is_read(local_server, make_client):
    local_server.handler = lambda request: ok(b"x" * (3 * ONE_MB))
    with pytest.raises(ArxivHTTPError) as caught:
        make_client(max_bytes=ONE_MB, retries=2).get(local_server.url + "/api/query")
    message = str(caught.value)
    assert "larger than 1 MB" in message and "/api/query" in message and "\n" not in message
    assert len(local_server.requests) == 1  # not worth retrying


def test_an_answer_without_a_length_is_read_only_up_to_the_cap(local_server, make_client):
    read = []

    def counted():
        for chunk in long_answer():
            read.append(len(chunk))
            yield chunk

    local_server.handler = lambda request: Reply(status=200, stream=counted())
    with pytest.raises(ArxivHTTPError, match="larger than 1 MB"):
        make_client(max_bytes=ONE_MB).get(local_server.url + "/api/query")
    # The client hung up soon after the cap (the socket buffers hold a few chunks more).
    assert sum(read) < 20 * ONE_MB


def test_the_cap_counts_the_bytes_after_decompression(local_server, make_client):
    import gzip

    bomb = gzip.compress(b"\0" * (5 * ONE_MB))
    assert len(bomb) < ONE_MB // 50
    local_server.handler = lambda request: Reply(status=200, body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(ArxivHTTPError, match="larger than 1 MB"):
        make_client(max_bytes=ONE_MB).get(local_server.url + "/api/query")


def test_an_answer_within_the_cap_is_read_whole_also_without_a_length(local_server, make_client):
    local_server.queue += [ok(b"a" * ONE_MB), Reply(status=200, stream=iter([b"b" * 1000] * 1000))]
    client = make_client(max_bytes=ONE_MB)
    assert client.get(local_server.url + "/api/query") == b"a" * ONE_MB
    assert client.get(local_server.url + "/api/query") == b"b" * ONE_MB


def test_a_long_error_answer_keeps_only_its_start(local_server, make_client):
    local_server.handler = lambda request: Reply(status=400, stream=long_answer())
    with pytest.raises(ArxivHTTPError) as caught:
        make_client(max_bytes=ONE_MB).get(local_server.url + "/api/query")
    assert caught.value.status == 400 and 0 < len(caught.value.body) <= 64_000
