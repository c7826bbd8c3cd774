"""Workers and web of different versions, as during an upgrade: a worker given a task it cannot run leaves
it for a worker that can and says so; nothing is failed, nothing is lost.

The tasks go through django-q2's own pusher, worker and monitor functions, in this process, on the ORM
broker (tests/django_q_worker.py): what a real cluster does with them."""

import ast
import datetime as dt
import logging
import shutil

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.tasks import async_task

from delivery.models import EmailDelivery
from delivery.schedule import deliveries_sweep
from delivery.subscribers import subscriber_confirm, subscriber_subscribe
from digest_site import __version__
from digest_site.workers import PUT_BACK_PREFIX, task_put_back
from tests.builders import paper_build
from tests.django_q_worker import work_off_queue
from tests.openai_stub import draft_reply
from translations import prompts
from translations.models import MachineDraft
from translations.services import draft_queue, draft_run, drafts_recover_stuck

NEWER_PROMPT = "draft-v9"


def confirmed(email):
    subscribed = subscriber_subscribe(email=email, by_worker=False)
    return subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def mail_due(published_day, smtp_server):
    """A published day's mail to one reader, due and not yet sent."""
    return EmailDelivery.objects.create(subscriber=confirmed("ana@example.org"),
                                        publication=published_day.live_publication)


def editions(server):
    return [mail for mail in server.received if "请确认订阅" not in mail.message["Subject"]]


def warnings_of(caplog) -> list[str]:
    """Our warnings (django-q2's own, e.g. on keeping connections in sync mode, are not the subject)."""
    return [record.getMessage() for record in caplog.records
            if record.levelno == logging.WARNING and not record.name.startswith("django-q")]


def test_a_task_queued_under_its_former_name_runs_under_todays(mail_due, smtp_server, caplog):
    """A web process of 1.0 queued the email batch as publishing.tasks.email_batch_task; a worker of this
    version runs it as delivery.tasks.email_batch_task instead of failing it (`… is not defined`)."""
    publication_id = mail_due.publication_id
    async_task("publishing.tasks.email_batch_task", publication_id, task_name=f"email-{publication_id}", sync=False)

    assert work_off_queue() == 2  # the old name, handed on; then today's

    mail_due.refresh_from_db()
    assert mail_due.status == EmailDelivery.Status.SENT and len(editions(smtp_server)) == 1
    assert not Task.objects.filter(success=False).exists(), "nothing failed"
    assert list(Task.objects.values_list("func", "name")) == [
        ("delivery.tasks.email_batch_task", f"email-{publication_id}")]
    assert not OrmQ.objects.exists()
    assert warnings_of(caplog) == [f"task publishing.tasks.email_batch_task (email-{publication_id}): renamed "
                                   "delivery.tasks.email_batch_task: queued again under that name"]


def test_a_task_of_a_newer_version_is_left_for_a_newer_worker_and_the_sweep_still_sends_the_mail(
        mail_due, smtp_server, caplog):
    """A web process already upgraded queued a task this worker has no function for: it is put back for a
    worker that has it (not failed, not lost), and the delivery's own row is still sent by the sweep."""
    newer = "delivery.tasks.email_batch_task_of_a_newer_version"
    publication_id = mail_due.publication_id
    async_task(newer, publication_id, task_name=f"email-{publication_id}", sync=False)

    assert work_off_queue() == 1

    assert not OrmQ.objects.exists(), "the run was acknowledged: the broker does not hand it out again"
    assert not Task.objects.exists(), "no failure is recorded: the work was handed on"
    put_back = Schedule.objects.get()
    assert (put_back.name, put_back.func, put_back.schedule_type) == (
        f"{PUT_BACK_PREFIX}email-{publication_id}", newer, Schedule.ONCE)
    assert ast.literal_eval(put_back.args) == (publication_id,)
    assert ast.literal_eval(put_back.kwargs) == {"q_options": {"task_name": f"email-{publication_id}"}}
    assert timezone.now() + dt.timedelta(seconds=30) < put_back.next_run < timezone.now() + dt.timedelta(seconds=90)
    assert warnings_of(caplog) == [f"task {newer} (email-{publication_id}): this worker (arxiv-digest "
                                   f"{__version__}) has no such function: left for a "
                                   "newer worker, queued again in 60 s"]
    mail_due.refresh_from_db()
    assert mail_due.status == EmailDelivery.Status.PENDING and editions(smtp_server) == []

    # Put back again before it ran (another old worker took a copy): still one put-back.
    assert task_put_back(func=newer, args=(publication_id,), task_name=f"email-{publication_id}") is False
    assert Schedule.objects.count() == 1

    # The sweep hands due rows to the workers by today's stable names, whatever task carried them.
    assert deliveries_sweep().email_batches_queued == 1
    mail_due.refresh_from_db()
    assert mail_due.status == EmailDelivery.Status.SENT and len(editions(smtp_server)) == 1


@pytest.fixture
def llm(settings, local_server):
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    settings.DIGEST_LLM_RETRIES = 0
    settings.DIGEST_LLM_TIMEOUT = 5
    return local_server


@pytest.fixture
def newer_prompts(tmp_path, monkeypatch):
    """Make this process a worker of a newer version: its prompts include NEWER_PROMPT."""
    def upgrade():
        folder = tmp_path / "prompts"
        shutil.copytree(prompts.PROMPTS_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        shutil.copytree(prompts.PROMPTS_DIR / "draft-v2", folder / NEWER_PROMPT)
        monkeypatch.setattr(prompts, "PROMPTS_DIR", folder)
        prompts._template.cache_clear()
    yield upgrade
    prompts._template.cache_clear()


@pytest.mark.django_db
def test_a_draft_queued_with_a_prompt_version_this_worker_lacks_waits_for_a_newer_worker(llm, newer_prompts, caplog):
    """The web (newer) queued a draft with draft-v9; this worker has draft-v1 and draft-v2. The draft is not
    failed: it stays queued, says what it waits for, is handed out again later, and is logged once. A
    worker that has draft-v9 then writes it."""
    draft = draft_queue(paper=paper_build()).draft
    MachineDraft.objects.filter(pk=draft.pk).update(prompt_version=NEWER_PROMPT)  # as the newer web queued it

    for _ in range(2):  # taken twice by old workers (the put-back ran): still waiting, logged once
        async_task("translations.tasks.draft_task", draft.pk, task_name=f"draft-{draft.pk}", sync=False)
        assert work_off_queue() == 1
    draft.refresh_from_db()
    assert draft.status == MachineDraft.Status.QUEUED and draft.attempts == 0
    assert draft.error == (f"waiting for a worker that has prompt version '{NEWER_PROMPT}': this worker "
                           f"(arxiv-digest {__version__}) has draft-v1, draft-v2")
    assert [line for line in warnings_of(caplog) if line.startswith(f"draft #{draft.pk}")] == [
        f"draft #{draft.pk} {draft.error}; left queued for a newer worker (upgrade the workers: docs/upgrading.md)"]
    assert list(Task.objects.values_list("success", flat=True)) == [True, True], "the task itself did not fail"
    put_back = Schedule.objects.get()
    assert (put_back.func, put_back.name) == ("translations.tasks.draft_task", f"{PUT_BACK_PREFIX}draft-{draft.pk}")
    assert draft.enqueued_at > timezone.now() - dt.timedelta(seconds=10) and draft.enqueues == 2
    assert drafts_recover_stuck().failed == 0, "the watchdog sees it handed out, not abandoned"

    newer_prompts()  # a worker of the newer version takes it
    llm.queue.append(draft_reply())
    draft_run(draft_id=draft.pk)
    draft.refresh_from_db()
    assert (draft.status, draft.prompt_version, draft.error) == (MachineDraft.Status.SUCCEEDED, NEWER_PROMPT, "")
