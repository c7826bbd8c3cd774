"""Machine drafts: queue one, claim it, run it, record the outcome. The only code that moves a draft."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import django.dispatch
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from digest_site import __version__
from digest_site.workers import task_put_back
from papers.models import Paper
from translations.fulltext import paper_source_text
from translations.llm import LLMConfig, LLMError, reply_schema, request_draft
from translations.memory import memory_reuse_exact
from translations.models import MachineDraft
from translations.prompts import (
    PROMPT_TERMS_MAX,
    PaperMaterial,
    build_messages,
    current_prompt_version,
    prompt_version_known,
    prompt_versions,
)
from translations.quality import text_findings
from translations.revisions import text_start_from_draft
from translations.terminology import TermRule, paper_glossary
from translations.workers import workers_seen

logger = logging.getLogger(__name__)

# Sent after a draft reached succeeded or failed; `draft` is the MachineDraft.
draft_finished = django.dispatch.Signal()

# A worker killed mid-task leaves its draft running; after this many claims it is failed for good.
MAX_CLAIMS = 3


@dataclass(frozen=True)
class QueueOutcome:
    draft: MachineDraft | None  # the draft to run (new or already active), or None: nothing to do
    created: bool


def draft_queue(*, paper: Paper, force: bool = False) -> QueueOutcome:
    """Make a queued draft for the paper's current version, unless one is active or already succeeded.

    An active draft (queued, or running) is returned as is: running it again is harmless,
    since only one worker can claim it. `force` drafts again even after a success.
    """
    active = paper.machine_drafts.active().first()
    if active is not None:
        return QueueOutcome(active, created=False)
    done = paper.machine_drafts.succeeded().filter(paper_version=paper.version)
    if not force and done.exists():
        return QueueOutcome(None, created=False)
    try:
        with transaction.atomic():
            draft = MachineDraft.objects.create(
                paper=paper, paper_version=paper.version, prompt_version=current_prompt_version()
            )
    except IntegrityError:  # another process queued one a moment ago
        return QueueOutcome(paper.machine_drafts.active().first(), created=False)
    return QueueOutcome(draft, created=True)


def draft_enqueue(*, draft: MachineDraft) -> None:
    """Hand the draft to the background workers once the current transaction commits."""
    transaction.on_commit(lambda: _hand_to_workers(draft.pk))


DRAFT_TASK = "translations.tasks.draft_task"


def _hand_to_workers(draft_id: int, *, later: bool = False) -> None:
    """Queue the draft's task, now or (`later`) a little later, as a draft this worker leaves to another.
    Either way the draft records the handing out, so the watchdog sees it is not abandoned."""
    MachineDraft.objects.filter(pk=draft_id).update(enqueued_at=timezone.now(), enqueues=F("enqueues") + 1)
    if later:
        task_put_back(func=DRAFT_TASK, args=(draft_id,), task_name=f"draft-{draft_id}")
    else:
        _draft_task_send(draft_id)


def _draft_task_send(draft_id: int) -> None:
    # save=False: a draft task's outcome is the draft itself (status, error, timings); django-q2's
    # record of a success would repeat it, and saving one costs its monitor a read of every success
    # it keeps (up to save_limit, 250) per task. A task that fails (a bug) is still recorded.
    async_task(DRAFT_TASK, draft_id, task_name=f"draft-{draft_id}", group="drafts", save=False)


def draft_left_for_newer_worker(*, draft_id: int) -> bool:
    """Leave a draft whose prompt version this code lacks to a worker that has it; whether it was left.

    The version was chosen when the draft was queued (`prompt_version`), by the process that queued
    it: a web or command of a newer version than this worker's. A draft this worker could claim stays
    as it is (never failed for it) and is handed to the workers again a little later, until a worker
    of that version takes it; one another worker holds is not this worker's business (False).
    Its `error` says what it waits for; the first worker to write that says it in the log, once.
    """
    claimable = MachineDraft.objects.filter(_claimable(timezone.now()), pk=draft_id)
    draft = claimable.first()
    if draft is None or prompt_version_known(draft.prompt_version):
        return False
    waiting = (f"waiting for a worker that has prompt version {draft.prompt_version!r}: this worker "
               f"(arxiv-digest {__version__}) has {', '.join(prompt_versions())}")
    if claimable.exclude(error=waiting).update(error=waiting):
        logger.warning("draft #%s %s; left queued for a newer worker (upgrade the workers: docs/upgrading.md)",
                       draft_id, waiting)
    _hand_to_workers(draft_id, later=True)
    return True


def _hand_out_again(draft: MachineDraft, now: dt.datetime) -> int:
    """Hand the draft out again if it is still as the watchdog saw it (not handed out, claimed or
    finished meanwhile by another caller); 1 if this call did it."""
    unchanged = MachineDraft.objects.filter(pk=draft.pk, status=draft.status, enqueued_at=draft.enqueued_at,
                                            started_at=draft.started_at)
    if not unchanged.update(enqueued_at=now, enqueues=F("enqueues") + 1):
        return 0
    _draft_task_send(draft.pk)
    return 1


def _timeout_reason() -> str:
    return (f"the LLM took longer than Q_TIMEOUT ({settings.Q_CLUSTER['timeout']} s) {MAX_CLAIMS} times and the "
            "worker was stopped each time: raise Q_TIMEOUT (and Q_RETRY above it) or lower DIGEST_FULLTEXT_CHARS")


def _no_worker_reason() -> str:
    return (f"no worker took the task within Q_TIMEOUT ({settings.Q_CLUSTER['timeout']} s), no other draft "
            "was started meanwhile, and no worker cluster was seen (in the broker, or running the watchdog's "
            "schedule): no worker is running, or the workers cannot read the tasks; start "
            "`manage.py qcluster` with the same SECRET_KEY and DATABASE_URL (or Q_REDIS_URL) as the site, "
            "then use “draft again”")


@dataclass
class WatchdogReport:
    handed_again: int = 0
    lost: int = 0  # of those handed again: taken by no worker for a lease while one was alive (a dead one took them)
    failed: int = 0

    @property
    def summary(self) -> str:
        lost = f" ({self.lost} whose task was lost with a dead worker)" if self.lost else ""
        return f"stuck drafts: {self.handed_again} handed to the workers again{lost}, {self.failed} failed"


def drafts_recover_stuck(*, now: dt.datetime | None = None, in_worker: bool = False) -> WatchdogReport:
    """The watchdog: drafts that no worker finished within their lease are handed out again, or
    failed with the real reason when another try cannot help. Safe to run anywhere, any
    number of times at once: each change is a conditional update that only one caller wins.
    `in_worker`: this call runs in a worker (the watchdog's Schedule), so a worker is alive.

    Steps:
    1. A draft `running` past its lease lost its worker (killed by Q_TIMEOUT, or the machine
       died): after MAX_CLAIMS claims, fail it (the LLM is slower than Q_TIMEOUT); else, if it
       was not handed out since its claim, hand it out again, so a worker claims it anew.
    2. A draft `queued` but never handed to the workers (its command stopped first): hand it out.
    3. A draft handed out more than a lease ago and not claimed since (`queued`, or `running`
       and handed out again after step 1), unless some draft was claimed within the last lease
       (the workers are busy and the queue is long: it waits its turn):
       - while a worker is alive (translations.workers: this runs in one, the broker lists one,
         or a cluster ran the watchdog's schedule lately), its task was lost with a worker that
         died after taking it from the broker (Redis hands a task out once): hand it out again;
       - with no worker alive, fail it (no worker runs, or none can read the tasks: handing it
         out again would not help).
    A failed draft sends `draft_finished`, so its day is flagged with the reason.
    """
    now = now or timezone.now()
    expired = now - _lease()
    report = WatchdogReport()
    # Workers that claimed a draft within the last lease are taking tasks: what is queued waits its turn.
    queue_moving = MachineDraft.objects.filter(started_at__gte=expired).exists()
    not_taken = []  # handed out more than a lease ago, not claimed since
    for draft in MachineDraft.objects.filter(status=MachineDraft.Status.RUNNING, started_at__lt=expired):
        handed_since_claim = draft.enqueued_at is not None and draft.enqueued_at > draft.started_at
        if draft.attempts >= MAX_CLAIMS:
            report.failed += _draft_fail_stuck(draft, {"started_at": draft.started_at}, _timeout_reason())
        elif not handed_since_claim:
            report.handed_again += _hand_out_again(draft, now)
        elif draft.enqueued_at < expired:
            not_taken.append(draft)
    for draft in MachineDraft.objects.filter(status=MachineDraft.Status.QUEUED, enqueued_at__isnull=True,
                                             created_at__lt=expired):
        report.handed_again += _hand_out_again(draft, now)
    not_taken += MachineDraft.objects.filter(status=MachineDraft.Status.QUEUED, enqueued_at__lt=expired)
    if not_taken and not queue_moving:
        if workers_seen(now=now, in_worker=in_worker).alive:
            for draft in not_taken:
                lost = _hand_out_again(draft, now)
                report.handed_again += lost
                report.lost += lost
        else:
            for draft in not_taken:
                # Still as the watchdog saw it: not handed out again, nor claimed, meanwhile.
                unchanged = {"enqueued_at": draft.enqueued_at, "started_at": draft.started_at}
                report.failed += _draft_fail_stuck(draft, unchanged, _no_worker_reason())
    return report


def _draft_fail_stuck(draft: MachineDraft, unchanged: dict, reason: str) -> int:
    """Fail a draft no worker holds, if it is still as the watchdog saw it; 1 if this call did it."""
    if not MachineDraft.TRANSITIONS.move(draft, MachineDraft.Status.FAILED, where=unchanged,
                                         finished_at=timezone.now(), error=reason):
        return 0
    draft.refresh_from_db()
    draft_finished.send(sender=MachineDraft, draft=draft)
    return 1


def drafts_past_lease_count(*, now: dt.datetime | None = None) -> int:
    """How many drafts the watchdog would deal with now (read only: for pages that warn)."""
    expired = (now or timezone.now()) - _lease()
    return MachineDraft.objects.filter(
        Q(status=MachineDraft.Status.RUNNING, started_at__lt=expired)
        | Q(status=MachineDraft.Status.QUEUED, enqueued_at__lt=expired)
        | Q(status=MachineDraft.Status.QUEUED, enqueued_at__isnull=True, created_at__lt=expired)).count()


def _lease() -> dt.timedelta:
    # A task is killed after Q_TIMEOUT; a draft running longer than that has lost its worker.
    return dt.timedelta(seconds=settings.Q_CLUSTER["timeout"])


def _claimable(now: dt.datetime) -> Q:
    """Drafts a worker may take: queued, or running with an expired lease (their worker died)."""
    return Q(status=MachineDraft.Status.QUEUED) | Q(status=MachineDraft.Status.RUNNING, started_at__lt=now - _lease())


def draft_claim(*, draft_id: int, now: dt.datetime | None = None,
                prompt_versions: list[str] | None = None) -> MachineDraft | None:
    """Take the draft for this worker: queued, or running with an expired lease (and, given
    `prompt_versions`, of one of them: the versions this code can write). One claimer wins."""
    now = now or timezone.now()
    claimable = MachineDraft.objects.filter(_claimable(now), pk=draft_id)
    if prompt_versions is not None:
        claimable = claimable.filter(prompt_version__in=prompt_versions)
    claimed = MachineDraft.TRANSITIONS.move_rows(
        claimable, MachineDraft.Status.RUNNING,
        from_states=[MachineDraft.Status.QUEUED, MachineDraft.Status.RUNNING], started_at=now,
        attempts=F("attempts") + 1, error="")  # no longer waiting for a newer worker, if it was
    if claimed != 1:
        return None
    draft = MachineDraft.objects.select_related("paper").get(pk=draft_id)
    if draft.attempts > MAX_CLAIMS:
        _draft_finish(draft, status=MachineDraft.Status.FAILED, error=_timeout_reason())
        return None
    return draft


def _draft_finish(draft: MachineDraft, *, status: MachineDraft.Status, **fields) -> bool:
    """Record the outcome if this worker still holds the draft (same claim); say whether it did."""
    if not MachineDraft.TRANSITIONS.move(draft, status, from_state=MachineDraft.Status.RUNNING,
                                         where={"started_at": draft.started_at}, finished_at=timezone.now(),
                                         **fields):
        logger.warning("draft #%s was taken over by another worker; this result is dropped", draft.pk)
        return False
    text_start_from_draft(draft=draft)
    draft_finished.send(sender=MachineDraft, draft=draft)
    return True


def _paper_material(paper: Paper, source, rules: list[TermRule]) -> PaperMaterial:
    return PaperMaterial(
        title=paper.title,
        authors=", ".join(paper.author_names),
        categories=", ".join(paper.categories),
        abstract=paper.abstract,
        source_kind=source.kind,
        source_text=source.text,
        rules=tuple(rules),
    )


def draft_run(*, draft_id: int, config: LLMConfig | None = None, client=None) -> MachineDraft | None:
    """Claim the draft and write it with the LLM; None if another worker has it or it is finished.

    Steps: claim; get the paper's text (full text, else the abstract); pick the glossary
    rules the paper uses (most specific first; the prompt takes at most PROMPT_TERMS_MAX), from the
    paper's glossary: a paper is drafted once whichever digests hold it, so the newsroom's terms and the
    additions of every digest holding it, the first digest in the digests' order winning a term two of
    them render differently (terminology.paper_glossary); ask
    the LLM; reuse the translation memory's exact matches (title, abstract sentences); run the
    named quality checks (translations.checks) on the result, with every rule; record.
    Every failure ends as a failed draft with its error, never as an exception. A draft of a prompt
    version this code lacks is not claimed: it is left for a newer worker (draft_left_for_newer_worker,
    asked only when the claim fails, so a draft this code can write costs no read before its claim).
    """
    draft = draft_claim(draft_id=draft_id, prompt_versions=prompt_versions())
    if draft is None:  # another worker has it, it is finished, or its prompt version is newer than this code
        draft_left_for_newer_worker(draft_id=draft_id)
        return None
    config = config or LLMConfig.from_settings()
    paper = draft.paper
    common = {"model_name": config.model, "endpoint_host": config.endpoint_host, "prompt_version": draft.prompt_version}
    try:
        source = paper_source_text(paper=paper)
        paper_text = "\n".join([paper.title, paper.abstract, source.text])
        # Drafted once for every digest holding the paper: the newsroom's terms and those digests' additions.
        glossary = paper_glossary(paper)
        rules = glossary.rules_in(paper_text)
        schema = reply_schema() if config.response_format == "json_object" else None
        messages = build_messages(_paper_material(paper, source, rules[:PROMPT_TERMS_MAX]), version=draft.prompt_version, schema=schema)
        answer = request_draft(messages=messages, config=config, client=client)
    except LLMError as exc:
        _draft_finish(draft, status=MachineDraft.Status.FAILED, error=str(exc), **common)
        return draft
    except Exception as exc:  # a bug or an outage must still leave a visible failed draft
        logger.exception("draft #%s failed", draft.pk)
        _draft_finish(draft, status=MachineDraft.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}", **common)
        return draft

    reply = answer.reply
    # Segments editors already approved (same English) are taken from the memory, verbatim.
    reuse = memory_reuse_exact(title_en=paper.title, abstract_en=paper.abstract, title_zh=reply.title_zh,
                               abstract_zh=reply.abstract_zh)
    text = {"title_zh": reuse.title_zh, "abstract_zh": reuse.abstract_zh, "background_md": reply.background,
            "method_md": reply.method, "results_md": reply.results}
    findings = text_findings(paper=paper, text=text, full_text=source.text if source.kind != "abstract" else "",
                             rules=rules, glossary=glossary)
    warnings = []
    if source.kind == MachineDraft.TextSource.ABSTRACT:
        warnings.append({"kind": "abstract_only", "message": f"仅根据摘要撰写：{source.note}"})
    if reuse.marker:
        warnings.append(reuse.marker)
    _draft_finish(
        draft,
        status=MachineDraft.Status.SUCCEEDED,
        **text,
        checks=findings,
        warnings=warnings,
        input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens,
        latency_ms=answer.latency_ms,
        text_source=source.kind,
        error="",
        **(common | {"model_name": answer.model}),
    )
    return draft


DEMO_SOURCE = "demo"


def draft_record_demo(*, paper: Paper, fields: dict[str, str]) -> MachineDraft | None:
    """Store a hand-written demo draft as a finished draft, marked as demo data; None if already drafted."""
    if paper.machine_drafts.succeeded().filter(paper_version=paper.version).exists():
        return None
    now = timezone.now()
    text = {"title_zh": fields["title_zh"], "abstract_zh": fields["abstract_zh"], "background_md": fields["background"],
            "method_md": fields["method"], "results_md": fields["results"]}
    draft = MachineDraft.objects.create(
        paper=paper,
        paper_version=paper.version,
        status=MachineDraft.Status.SUCCEEDED,
        **text,
        checks=text_findings(paper=paper, text=text, full_text=""),
        warnings=[{"kind": "demo", "message": "演示数据：人工撰写的示例译稿，并非模型输出"}],
        model_name="demo (hand-written)",
        endpoint_host=DEMO_SOURCE,
        prompt_version=DEMO_SOURCE,
        text_source=MachineDraft.TextSource.ABSTRACT,
        started_at=now,
        finished_at=now,
    )
    text_start_from_draft(draft=draft)
    draft_finished.send(sender=MachineDraft, draft=draft)
    return draft


def papers_draft_again(*, papers) -> int:
    """Queue a new draft for each paper (old drafts and the text are kept); return how many were queued.

    Raises LLMError when no LLM is configured, so nothing is queued that no worker could write.
    """
    config = LLMConfig.from_settings()
    if config.problem:
        raise LLMError(config.problem, permanent=True, shown=config.problem_shown)
    queued = 0
    with transaction.atomic():
        for paper in papers:
            outcome = draft_queue(paper=paper, force=True)
            if outcome.draft is not None:
                draft_enqueue(draft=outcome.draft)
                queued += outcome.created
    return queued
