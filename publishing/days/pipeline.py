"""A day's pipeline: collect, then draft every entry in the background, then review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import models, transaction

from papers.arxiv_client import ArxivClient
from publishing.days.collection import CollectionResult, day_collect
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
            raise DayStateError(f"{day.date} is published; unpublish it before drafting it again "
                                f"(publish_day --date {day.date} --unpublish), or draft single papers again "
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


def day_check_drafting(*, day: DigestDay) -> DigestDay:
    """Once every entry's latest draft has finished: all succeeded → in review; any failed → flagged."""
    with transaction.atomic():
        day = DigestDay.objects.select_for_update().get(pk=day.pk)
        drafting = day.status == DigestDay.Status.DRAFTING or (
            day.status == DigestDay.Status.NEEDS_ATTENTION and day.status_before_attention == DigestDay.Status.DRAFTING
        )
        if not drafting:
            return day
        drafts = day_drafts(day)
        if any(draft is None or draft.status in MachineDraft.ACTIVE for draft in drafts.values()):
            return day
        failed = [draft for draft in drafts.values() if draft.status == MachineDraft.Status.FAILED]
        if failed:
            names = ", ".join(draft.paper.arxiv_id for draft in failed[:10])
            day_flag_attention(
                day=day,
                step=DRAFT_STEP,
                reason=f"{len(failed)} machine draft(s) failed ({names}): {failed[0].error}; see Machine drafts, "
                "fix the cause and use “draft again”",
            )
            return day
        day_clear_attention(day=day, step=DRAFT_STEP)
        day_advance(day=day, to=DigestDay.Status.IN_REVIEW, step=DRAFT_STEP)
        return day


def days_awaiting_drafts_of(paper_id: int) -> list[DigestDay]:
    return list(
        DigestDay.objects.filter(entries__paper_id=paper_id)
        .filter(status__in=[DigestDay.Status.DRAFTING, DigestDay.Status.NEEDS_ATTENTION])
        .distinct()
    )


@dataclass(frozen=True)
class DailyRun:
    collection: CollectionResult | None  # None: nothing to do, the day is published (`published`)
    drafting: DraftingStart | None
    published: DigestDay | None = None

    @property
    def summary(self) -> str:
        if self.published is not None:
            day = self.published
            version = f" (version {day.live_publication.version})" if day.live_publication_id else ""
            return (f"{day.date} is already published{version}: nothing to do (to collect it again, unpublish "
                    f"it first: publish_day --date {day.date} --unpublish)")
        drafting = self.drafting
        if drafting.problem:
            return f"{self.collection.summary}\nDrafting not started: {drafting.problem}"
        return (
            f"{self.collection.summary}\nDrafting {self.collection.day.date}: {drafting.queued} queued, "
            f"{drafting.active} already in progress, {drafting.done} already drafted"
        )


def run_daily(
    *,
    date: dt.date,
    source: str = "api",
    files: Sequence[str] = (),
    client: ArxivClient | None = None,
    progress=None,
    backfill: bool = False,
) -> DailyRun:
    """The morning job: collect the day, then queue one drafting task per entry that needs one
    (after recovering what yesterday's dead workers left, in case no schedule does). Mail and
    webhooks are not its business: delivery reacts to publication and sweeps on its own schedule.
    A day already published is left as it is: the job has nothing to do (said, not raised: the
    schedule's run succeeds, and a person running it twice is not told off)."""
    drafts_recover_stuck()
    published = (DigestDay.objects.filter(date=date, status=DigestDay.Status.PUBLISHED)
                 .select_related("live_publication").first())
    if published is not None:
        return DailyRun(collection=None, drafting=None, published=published)
    collection = day_collect(
        date=date, source=source, files=files, client=client, progress=progress, backfill=backfill
    )
    return DailyRun(collection=collection, drafting=day_start_drafting(day=collection.day))

