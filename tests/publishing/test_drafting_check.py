"""The check after each draft ("has the day finished drafting?") costs the same whatever the day's size,
and still moves the day as before: all succeeded → in review; any failed → flagged, naming them."""

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.db.models.signals import post_init

from publishing.days.pipeline import day_check_drafting, day_start_drafting
from publishing.models import DigestDay
from tests.builders import paper_build
from tests.fake_arxiv import SimPaper, atom_feed
from tests.openai_stub import draft_reply, error_reply
from translations.models import MachineDraft
from translations.services import draft_run

DATE = dt.date(2026, 1, 9)


@pytest.fixture
def llm(settings, local_server):
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    settings.DIGEST_LLM_RETRIES = 0
    settings.DIGEST_FULLTEXT = False
    local_server.handler = lambda request: draft_reply()
    return local_server


def collected_day(tmp_path, papers: int) -> DigestDay:
    published = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    feed = tmp_path / "feed.xml"
    feed.write_bytes(atom_feed([
        SimPaper(f"2601.{80000 + n:05d}", 1, f"Paper number {n:03d}", "cs.SD", ["cs.SD"], published, published, published)
        for n in range(papers)
    ], total=papers, start=0))
    with open(os.devnull, "w") as quiet:
        call_command("fetch_papers", "--date", DATE.isoformat(), "--file", str(feed), verbosity=0, stdout=quiet)
    return DigestDay.objects.get(date=DATE)


class DraftsLoaded:
    """Counts MachineDraft rows read into objects while it is open."""

    def __enter__(self):
        self.count = 0
        post_init.connect(self._seen, sender=MachineDraft)
        return self

    def __exit__(self, *exc_info):
        post_init.disconnect(self._seen, sender=MachineDraft)

    def _seen(self, **kwargs):
        self.count += 1


@pytest.mark.django_db
def test_the_check_after_a_draft_reads_no_drafts_of_the_day(llm, tmp_path):
    day = collected_day(tmp_path, papers=30)
    drafts = day_start_drafting(day=day, enqueue=False).drafts
    for draft in drafts[:-1]:
        draft_run(draft_id=draft.pk)

    with DraftsLoaded() as loaded:
        day = day_check_drafting(day=day)
    assert day.status == DigestDay.Status.DRAFTING
    assert loaded.count == 0, "the check read every draft of the day: its cost grew with the day"

    draft_run(draft_id=drafts[-1].pk)
    with DraftsLoaded() as loaded:
        day = day_check_drafting(day=day)
    assert day.status == DigestDay.Status.IN_REVIEW
    assert loaded.count == 0


@pytest.mark.django_db
def test_a_day_waits_for_papers_never_drafted(llm, tmp_path):
    day = collected_day(tmp_path, papers=3)
    drafts = day_start_drafting(day=day, enqueue=False).drafts
    for draft in drafts:
        draft_run(draft_id=draft.pk)
    # A paper in the day with no draft at all (added after drafting was queued).
    last = day.entries.order_by("position").last()
    day.entries.create(paper=paper_build("2601.89999"), paper_version=1, position=last.position + 1, kind=last.kind)
    DigestDay.objects.filter(pk=day.pk).update(status=DigestDay.Status.DRAFTING)

    assert day_check_drafting(day=day).status == DigestDay.Status.DRAFTING


@pytest.mark.django_db
def test_failed_drafts_flag_the_day_naming_the_first_ten_in_the_days_order(llm, tmp_path):
    day = collected_day(tmp_path, papers=15)
    drafts = day_start_drafting(day=day, enqueue=False).drafts
    failing = {draft.paper.title for draft in drafts[2:14]}
    llm.handler = lambda request: (error_reply(500, "overloaded") if any(
        title in request.body.decode() for title in failing) else draft_reply())
    for draft in reversed(drafts):  # finished out of order: the message still follows the day's order
        draft_run(draft_id=draft.pk)

    day.refresh_from_db()
    assert day.status == DigestDay.Status.NEEDS_ATTENTION
    in_order = [entry.paper.arxiv_id for entry in day.entries.order_by("position")]
    named = ", ".join(in_order[2:12])
    assert day.attention_reason.startswith(f"12 machine draft(s) failed ({named}): ")
    assert "HTTP 500" in day.attention_reason and "overloaded" in day.attention_reason
