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


@pytest.mark.django_db
def test_a_draft_on_a_day_being_drafted_costs_a_fixed_few_queries(llm, tmp_path, django_assert_max_num_queries,
                                                                   django_capture_on_commit_callbacks):
    """What one draft reads and writes, whatever the day's size: the claim (1), the draft with its paper (1),
    the glossary's version (1), the memory (2), the result (1), the paper's first text (4: begin, the latest
    revision locked, insert, commit), the day's check (1: the paper's days that wait and have no draft
    still active: none), the entry to review (4). Before (21): a read before the claim, a read of the
    paper's revisions before its first, and the day locked and all its drafts read after each draft."""
    from publishing.days.pipeline import day_start_drafting
    from tests.publishing.test_drafting_check import collected_day
    from translations.services import draft_run

    day = collected_day(tmp_path, papers=40)
    drafts = day_start_drafting(day=day, enqueue=False).drafts
    draft_run(draft_id=drafts[0].pk)  # the first of a process reads what it keeps (prompts, glossary matcher)
    with django_assert_max_num_queries(15), django_capture_on_commit_callbacks(execute=True):
        draft_run(draft_id=drafts[1].pk)
