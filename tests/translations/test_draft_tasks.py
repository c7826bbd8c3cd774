"""Drafting tasks through django-q2's own worker and monitor functions (its sync mode, in this process)."""

import pytest
from django_q.models import Task

from tests.builders import paper_build
from tests.openai_stub import draft_reply
from translations.models import MachineDraft
from translations.services import draft_enqueue, draft_queue


@pytest.fixture
def llm(settings, local_server):
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    local_server.handler = lambda request: draft_reply()
    return local_server


@pytest.mark.django_db
def test_a_drafted_paper_leaves_its_draft_as_the_only_record(llm, django_capture_on_commit_callbacks):
    """The draft holds the outcome; a success record in django-q2's table would repeat it, and the monitor
    read every kept success (up to 250) to save each one."""
    drafts = [draft_queue(paper=paper_build(f"2601.0501{n}")).draft for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for draft in drafts:
            draft_enqueue(draft=draft)

    assert set(MachineDraft.objects.values_list("status", flat=True)) == {"succeeded"}
    assert len(llm.requests) == 3
    assert not Task.objects.exists()
