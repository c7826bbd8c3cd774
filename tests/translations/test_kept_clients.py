"""One LLM client and one arXiv client per process: drafts reuse their connections; a forked worker
builds its own.

Against a real HTTP/1.1 server on 127.0.0.1 that keeps connections open, through the real `openai`
and httpx clients: requests that came over one connection share the client's end of it (host, port).
"""

import os
from pathlib import Path

import pytest

from tests.local_server import LocalServer, Reply
from tests.openai_stub import draft_reply
from translations.llm import LLMConfig, request_draft
from translations.services import draft_queue, draft_run

from .test_drafting import make_paper

MESSAGES = [{"role": "system", "content": "Translate."}, {"role": "user", "content": "A paper."}]


@pytest.fixture
def keep_alive_llm():
    server = LocalServer(keep_alive=True).start()
    server.handler = lambda request: draft_reply()
    yield server
    server.stop()


def config_for(server) -> LLMConfig:
    return LLMConfig(base_url=f"{server.url}/v1", api_key="test-key", model="stub-model", timeout=5, retries=0,
                     response_format="json_schema", temperature=0.2)


def chat_connections(server) -> list[tuple]:
    return [request.client_address for request in server.requests if request.path.endswith("/chat/completions")]


def test_drafts_in_one_process_reuse_one_connection_to_the_llm(keep_alive_llm, settings, db):
    settings.OPENAI_BASE_URL = f"{keep_alive_llm.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    papers = [make_paper(arxiv_id=f"2601.0501{n}") for n in range(3)]
    for paper in papers:
        draft = draft_run(draft_id=draft_queue(paper=paper).draft.pk)
        assert draft.status == "succeeded", draft.error

    connections = chat_connections(keep_alive_llm)
    assert len(connections) == 3
    assert len(set(connections)) == 1, "each draft opened a connection (and built a client) of its own"


def test_other_connection_settings_get_a_client_of_their_own(keep_alive_llm):
    other = LocalServer(keep_alive=True).start()
    other.handler = lambda request: draft_reply()
    try:
        request_draft(messages=MESSAGES, config=config_for(keep_alive_llm))
        request_draft(messages=MESSAGES, config=config_for(other))
        request_draft(messages=MESSAGES, config=config_for(keep_alive_llm))
        assert len(chat_connections(other)) == 1
        assert len(set(chat_connections(keep_alive_llm))) == 1
    finally:
        other.stop()


def test_a_forked_worker_talks_to_the_llm_over_a_connection_of_its_own(keep_alive_llm):
    """django-q2 forks its workers: a client (with its open sockets) built before the fork must not
    be used by the child, or parent and child write into one connection."""
    config = config_for(keep_alive_llm)
    request_draft(messages=MESSAGES, config=config)  # the parent's client, its connection left open

    child = os.fork()
    if child == 0:  # the forked worker: ask, then leave without running anything of pytest's
        try:
            answer = request_draft(messages=MESSAGES, config=config)
            os._exit(0 if answer.reply.title_zh else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    request_draft(messages=MESSAGES, config=config)  # the parent's connection still works

    parent_first, from_child, parent_again = chat_connections(keep_alive_llm)
    assert from_child != parent_first, "the forked worker used its parent's connection"
    assert parent_again == parent_first


LATEXML_PAGE = (Path(__file__).resolve().parents[1] / "data" / "fulltext_latexml.html").read_bytes()


def test_drafts_from_full_text_reuse_one_connection_to_arxiv(keep_alive_llm, settings, db):
    settings.OPENAI_BASE_URL = f"{keep_alive_llm.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    settings.DIGEST_FULLTEXT = True
    settings.ARXIV_HTML_URL = f"{keep_alive_llm.url}/html"
    keep_alive_llm.handler = lambda request: (
        draft_reply() if request.path.startswith("/v1/")
        else Reply(body=LATEXML_PAGE, headers={"Content-Type": "text/html; charset=utf-8"}))
    for n in range(3):
        draft = draft_run(draft_id=draft_queue(paper=make_paper(arxiv_id=f"2601.0502{n}")).draft.pk)
        assert (draft.status, draft.text_source) == ("succeeded", "html"), draft.error

    pages = [request.client_address for request in keep_alive_llm.requests if request.path.startswith("/html/")]
    assert len(pages) == 3
    assert len(set(pages)) == 1, "each draft opened a connection (and built a client) of its own to arXiv"
