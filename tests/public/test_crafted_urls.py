"""Public pages never answer 500 to a URL: out-of-range pages are 404, control characters are dropped."""

import pytest


@pytest.mark.parametrize("url", [
    "/?page=99999999999999999999",
    "/search/?q=vocoder&page=99999999999999999999",
    "/categories/cs.SD/?page=99999999999999999999",
    "/categories/cs.SD/?page=100001",
    "/search/?q=vocoder&page=-1",
    "/?page=0",
    "/?page=1e3",
])
def test_a_page_number_no_reader_could_reach_is_not_found(client, published_day, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query", ["%00", "voc%00oder", "%01%02%1f", "%7f", "声码器%00"])
def test_control_characters_in_a_search_are_dropped(client, published_day, query):
    response = client.get(f"/search/?q={query}")
    assert response.status_code == 200
    assert "\x00" not in response.content.decode()


def test_a_search_with_a_nul_still_finds_the_words_around_it(client, published_day):
    page = client.get("/search/?q=vocoding%00").content.decode()
    assert "Phase-Aware Diffusion Vocoding" in page


# `²` passes str.isdigit() but not int(); `١` (an Arabic-Indic 1) passes both: neither is a page number.
@pytest.mark.parametrize("url", [
    "/?page=%C2%B2",
    "/search/?q=vocoder&page=%C2%B2",
    "/categories/cs.SD/?page=%C2%B2",
    "/?page=%D9%A1",
    "/search/?q=vocoder&page=%D9%A1",
    "/categories/cs.SD/?page=%D9%A1",
    "/?page=%EF%BC%91",  # a fullwidth 1
])
def test_a_page_number_in_digits_other_than_ascii_is_not_found(client, published_day, url):
    assert client.get(url).status_code == 404
