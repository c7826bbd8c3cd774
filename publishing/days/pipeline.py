"""A day's pipeline: collect, then draft every entry in the background, then review."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import DatabaseError, models, transaction
from django.utils import timezone

from digest_site.database_errors import database_error_line
from digests.models import Digest
from papers.arxiv_client import ArxivClient
from papers.models import FetchRun
from papers.services import fetch_run_retry_planned
from publishing.days.collection import Collection, CollectionError, day_collect
from publishing.days.schedule import MorningGroup, daily_retry_schedule, morning_group
from publishing.days.services import (
    DRAFT_STEP,
    DayStateError,
    day_advance,
    day_clear_attention,
    day_flag_attention,
)
from publishing.models import DigestDay
from translations.llm import LLMConfig
from translations.models import MachineDraft
from translations.services import draft_enqueue, draft_queue, drafts_recover_stuck

logger = logging.getLogger(__name__)

# A failed morning run is tried again this many times, after 10, 20 and 40 minutes (the wait doubles):
# long enough for arXiv's or the database's short outages, and done well before the day is reviewed.
MORNING_RETRIES = 3
FIRST_MORNING_RETRY = dt.timedelta(minutes=10)


@dataclass
class DraftingStart:
    queued: int = 0  # drafts made now
    active: int = 0  # drafts already queued or running (handed to a worker again; only one can claim)
    done: int = 0  # papers that already have a successful draft of their version
    problem: str = ""  # why drafting could not start (no LLM configured)
    drafts: list[MachineDraft] = field(default_factory=list)


def day_start_drafting(*, day: DigestDay, force: bool = False, enqueue: bool = True) -> DraftingStart:
    """Queue a machine draft for every entry that needs one and hand them to the workers.

    With `enqueue=False` the caller runs the returned drafts itself (translate_day --sync).
    If drafts are needed but no LLM is configured, nothing is queued and the day is
    flagged with what to configure; a day whose papers are all drafted moves on anyway.
    A published day is not drafted again (DayStateError): it would have to leave its readers first.
    """
    problem = LLMConfig.from_settings().problem
    start = DraftingStart()
    with transaction.atomic():
        day = DigestDay.objects.select_for_update().get(pk=day.pk)
        papers = [entry.paper for entry in day.entries.select_related("paper").order_by("position")]
        drafted = {draft.paper_id for draft in MachineDraft.objects.filter(paper__in=papers).succeeded()
                   .filter(paper_version=models.F("paper__version"))}
        needed = force or any(paper.pk not in drafted for paper in papers)
        if needed and day.status == DigestDay.Status.PUBLISHED:
            digest = f" --digest {day.digest.slug}" if Digest.objects.count() > 1 else ""
            raise DayStateError(f"{day.date} is published; unpublish it before drafting it again "
                                f"(publish_day --date {day.date}{digest} --unpublish), or draft single papers again "
                                "from the admin's Machine drafts")
        if problem and needed:
            day_flag_attention(day=day, step=DRAFT_STEP, reason=problem)
            return DraftingStart(problem=problem)
        for paper in papers:
            outcome = draft_queue(paper=paper, force=force)
            if outcome.draft is None:
                start.done += 1
                continue
            start.drafts.append(outcome.draft)
            if outcome.created:
                start.queued += 1
            else:
                start.active += 1
            if enqueue:
                draft_enqueue(draft=outcome.draft)
        if start.drafts or (start.done and day.status in (DigestDay.Status.COLLECTING, DigestDay.Status.NEEDS_ATTENTION)):
            if day.attention_step == DRAFT_STEP:
                day_clear_attention(day=day, step=DRAFT_STEP)
            day_advance(day=day, to=DigestDay.Status.DRAFTING, step=DRAFT_STEP)
    day_check_drafting(day=day)
    return start


def day_drafts(day: DigestDay) -> dict[int, MachineDraft | None]:
    """The latest machine draft of each of the day's papers (None: never drafted)."""
    paper_ids = list(day.entries.values_list("paper_id", flat=True))
    latest = {draft.paper_id: draft for draft in MachineDraft.objects.filter(paper_id__in=paper_ids).latest_per_paper()}
    return {paper_id: latest.get(paper_id) for paper_id in paper_ids}


def _latest_draft_of_entry() -> models.QuerySet:
    """The newest draft of the entry's paper (drafts are only ever added), for an entry's subquery."""
    return MachineDraft.objects.filter(paper_id=models.OuterRef("paper_id")).order_by("-id")


def day_has_active_drafts(day: DigestDay) -> bool:
    """Whether a draft of the day's papers is queued or running (then it is its paper's latest: a
    paper gets a new draft only when none is active). One lookup in the database that stops at the
    first it finds: no draft is read into Python, whatever the day's size (the walk over the day's
    entries in the index took 2.5 ms for 1,000 papers with none active, on SQLite)."""
    return MachineDraft.objects.active().filter(paper__digest_entries__day=day).exists()


def day_latest_draft_counts(day: DigestDay) -> dict[str | None, int]:
    """How many of the day's entries have a latest draft of each status (None: never drafted), in one
    aggregate: asked once the day's drafts have finished (reading every draft of the day after each
    one made a day's drafting grow with the square of its size)."""
    rows = (day.entries.order_by().annotate(draft_status=models.Subquery(_latest_draft_of_entry().values("status")[:1]))
            .values("draft_status").annotate(entries=models.Count("id")))
    return {row["draft_status"]: row["entries"] for row in rows}


def day_failed_drafts(day: DigestDay, *, limit: int) -> list[MachineDraft]:
    """The first `limit` of the day's entries whose latest draft failed: those drafts, in the day's order."""
    latest = _latest_draft_of_entry()
    draft_ids = list(day.entries.annotate(draft_id=models.Subquery(latest.values("id")[:1]),
                                          draft_status=models.Subquery(latest.values("status")[:1]))
                     .filter(draft_status=MachineDraft.Status.FAILED).values_list("draft_id", flat=True)[:limit])
    drafts = MachineDraft.objects.select_related("paper").in_bulk(draft_ids)
    return [drafts[draft_id] for draft_id in draft_ids]


def day_check_drafting(*, day: DigestDay) -> DigestDay:
    """Once every entry's latest draft has finished: all succeeded → in review; any failed → flagged."""
    with transaction.atomic():
        day = DigestDay.objects.select_for_update().get(pk=day.pk)
        drafting = day.status == DigestDay.Status.DRAFTING or (
            day.status == DigestDay.Status.NEEDS_ATTENTION and day.status_before_attention == DigestDay.Status.DRAFTING
        )
        if not drafting:
            return day
        if day_has_active_drafts(day):
            return day
        counts = day_latest_draft_counts(day)
        if counts.get(None) or any(counts.get(status) for status in MachineDraft.ACTIVE):
            return day
        failed_count = counts.get(MachineDraft.Status.FAILED, 0)
        if failed_count:
            failed = day_failed_drafts(day, limit=10)
            names = ", ".join(draft.paper.arxiv_id for draft in failed)
            day_flag_attention(
                day=day,
                step=DRAFT_STEP,
                reason=f"{failed_count} machine draft(s) failed ({names}): {failed[0].error}; see Machine drafts, "
                "fix the cause and use “draft again”",
            )
            return day
        day_clear_attention(day=day, step=DRAFT_STEP)
        day_advance(day=day, to=DigestDay.Status.IN_REVIEW, step=DRAFT_STEP)
        return day


def days_awaiting_drafts_of(paper_id: int) -> list[DigestDay]:
    """The days with this paper that wait for drafts and have none still queued or running: the only
    ones whose drafting this paper's draft may have ended. One query; while the day's other drafts are
    being written (every draft but the last), the check after a draft ends here, taking no lock."""
    drafts_active = MachineDraft.objects.active().filter(paper__digest_entries__day=models.OuterRef("pk"))
    return list(
        DigestDay.objects.filter(entries__paper_id=paper_id)
        .filter(status__in=[DigestDay.Status.DRAFTING, DigestDay.Status.NEEDS_ATTENTION])
        .exclude(models.Exists(drafts_active))
        .distinct()
    )


@dataclass(frozen=True)
class DailyRun:
    collection: Collection | None  # None: nothing to do, the day is published for every digest (`published`)
    drafting: tuple[DraftingStart, ...] = ()  # one per collected day, in the collection's order
    published: tuple[DigestDay, ...] = ()

    @property
    def summary(self) -> str:
        if self.collection is None:
            return "\n".join(_published_line(day, named=len(self.published) > 1) for day in self.published)
        lines = []
        for result, drafting in zip(self.collection.results, self.drafting):
            named = f"[{result.day.digest.slug}] " if self.collection.several else ""
            lines.append(f"{named}{result.summary}")
            if drafting.problem:
                lines.append(f"{named}Drafting not started: {drafting.problem}")
            else:
                lines.append(f"{named}Drafting {result.day.date}: {drafting.queued} queued, "
                             f"{drafting.active} already in progress, {drafting.done} already drafted")
        return "\n".join(lines + list(self.collection.skipped))


def _published_line(day: DigestDay, *, named: bool) -> str:
    version = f" (version {day.live_publication.version})" if day.live_publication_id else ""
    digest = f" --digest {day.digest.slug}" if named else ""
    return (f"{'[' + day.digest.slug + '] ' if named else ''}{day.date} is already published{version}: nothing "
            f"to do (to collect it again, unpublish it first: publish_day --date {day.date}{digest} --unpublish)")


def run_daily(
    *,
    date: dt.date,
    digests: Sequence[Digest] | None = None,
    source: str = "api",
    files: Sequence[str] = (),
    client: ArxivClient | None = None,
    progress=None,
    backfill: bool = False,
) -> DailyRun:
    """The morning job: collect the day for every digest (or those named) with one fetch, then queue
    one drafting task per entry that needs one (after recovering what yesterday's dead workers left,
    in case no schedule does); a paper two digests hold is drafted once. Mail and webhooks are not its
    business: delivery reacts to publication and sweeps on its own schedule. A day already published
    (for every digest) is left as it is: the job has nothing to do (said, not raised: the schedule's
    run succeeds, and a person running it twice is not told off)."""
    drafts_recover_stuck()
    digests = list(digests) if digests else list(Digest.objects.all()) or [Digest.objects.home()]
    published = list(DigestDay.objects.filter(date=date, digest__in=digests, status=DigestDay.Status.PUBLISHED)
                     .select_related("live_publication", "digest"))
    if len(published) == len(digests):
        return DailyRun(collection=None, published=tuple(published))
    collection = day_collect(
        date=date, digests=digests, source=source, files=files, client=client, progress=progress, backfill=backfill
    )
    return DailyRun(collection=collection,
                    drafting=tuple(day_start_drafting(day=result.day) for result in collection.results))


def run_daily_scheduled(*, date: dt.date, attempt: int = 1, now: dt.datetime | None = None,
                        group: MorningGroup | None = None) -> str:
    """The morning job as its Schedule runs it (try `attempt` for `date`) for the digests of one morning
    group (those whose day ends at one anchor in one zone; the first digest's if none is named): run_daily,
    and when its fetch fails, try it again later, the same on every broker.

    Steps:
    1. A retry whose work was done meanwhile does nothing: a later day was collected since (the
       next morning's run, whose look-back takes this day's papers), or this day's latest fetch
       succeeded and the group's days moved on (someone ran it by hand).
    2. run_daily for the group's digests (one fetch). A refusal (a published day, a bad request) is
       raised: trying again cannot help.
    3. A failed fetch (arXiv, the network, the database) plans one more run of this job, with
       `attempt + 1`, after a doubling wait (daily_retry_schedule), recorded on the failed FetchRun
       (`next_try_at`), until MORNING_RETRIES retries have failed; the last failure is logged as an
       error. The task returns rather than raise, so no broker runs it again on its own (the ORM
       broker would, after Q_RETRY; Redis would not): the retries are these, on any broker.
    """
    now = now or timezone.now()
    group = group or morning_group()
    digests = group.digests()
    if not digests:
        return f"{date}: no digest's day ends at {group.label} any more: run `manage.py install_schedule`"
    if attempt > 1 and (done := _morning_run_done(date, digests)):
        return f"{date}: try {attempt} not needed: {done}"
    try:
        return run_daily(date=date, digests=digests).summary
    except CollectionError as exc:
        if exc.run is None:
            raise
        failure, failed_run = str(exc), exc.run
    except DatabaseError as exc:
        failure, failed_run = database_error_line(exc), None
    if attempt > MORNING_RETRIES:
        logger.error("the morning run for %s failed %s times, the last time: %s; run `manage.py run_daily "
                     "--date %s` once the cause is fixed", date, attempt, failure, date)
        return f"{date}: fetch failed (try {attempt} of {MORNING_RETRIES + 1}, the last): {failure}"
    at = now + FIRST_MORNING_RETRY * 2 ** (attempt - 1)
    daily_retry_schedule(date=date, attempt=attempt + 1, at=at, group=group)
    if failed_run is not None:
        fetch_run_retry_planned(run=failed_run, at=at)
    logger.warning("the morning run for %s failed (%s); trying again at %s", date, failure, at.isoformat())
    return (f"{date}: fetch failed (try {attempt} of {MORNING_RETRIES + 1}): {failure}; "
            f"try {attempt + 1} at {timezone.localtime(at):%Y-%m-%d %H:%M}")


def _morning_run_done(date: dt.date, digests: Sequence[Digest]) -> str:
    """Why a retry of the morning run for `date` and these digests is not needed any more ("" if it is)."""

    def serves_them(run: FetchRun) -> bool:
        return all(run.serves(digest) for digest in digests)

    latest = next((run for run in FetchRun.objects.filter(digest_date=date).order_by("-started_at", "-id")[:50]
                   if serves_them(run)), None)
    since = {"started_at__gt": latest.started_at} if latest is not None else {}
    later = next((run for run in FetchRun.objects.filter(digest_date__gt=date, status=FetchRun.Status.SUCCEEDED,
                                                         **since).order_by("started_at")[:50] if serves_them(run)), None)
    if later is not None:
        return f"fetch #{later.pk} collected a later day ({later.digest_date}), which took this day's papers"
    days = DigestDay.objects.filter(date=date, digest__in=digests)
    if latest is not None and latest.status == FetchRun.Status.SUCCEEDED and days.exists() \
            and not days.filter(status=DigestDay.Status.COLLECTING).exists():
        statuses = ", ".join(sorted(set(days.values_list("status", flat=True))))
        return f"fetch #{latest.pk} collected it since, and the day moved on ({statuses})"
    return ""
