"""The editor's front page (the admin index): the days that still need work, with their progress,
failed drafts, flags, approved changes not yet published and papers with newer arXiv versions,
and the editor's own last edits."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from publishing.days.windows import current_digest_date
from publishing.models import DigestDay, Entry, SourceChange
from publishing.posts.preview import unpublished_changes
from publishing.posts.scheduling import scheduled_publication_problem, scheduled_publications_needing_attention
from publishing.review.source_changes import newer_versions_of
from translations.models import MachineDraft, Revision
from translations.workers import workers_seen

FRONT_PAGE_DAYS = 10
RECENT_EDITS = 8


@dataclass(frozen=True)
class DayAtWork:
    day: DigestDay
    failed_drafts: int
    unpublished_changes: int
    newer_versions: int  # published papers of the day with a newer arXiv version not dealt with
    flags: list  # the day's recent moves into needs_attention (and acknowledgements)
    scheduled_problems: list[str]  # failed, overdue or stopped scheduled publications, each in a line


@dataclass(frozen=True)
class UnfinishedWork:
    """Every entry of every day still awaiting its draft or in review (not only the days the page lists)."""

    entries: int
    days: int


def unfinished_work() -> UnfinishedWork:
    unfinished = Entry.objects.filter(state__in=[Entry.State.AWAITING_DRAFT, Entry.State.IN_REVIEW])
    counts = unfinished.aggregate(entries=Count("id"), days=Count("day", distinct=True))
    return UnfinishedWork(entries=counts["entries"], days=counts["days"])


def days_at_work() -> list[DayAtWork]:
    """Today's day and every day not published (or published with changes since, or with entries
    still awaiting a draft or in review, or with papers that have newer arXiv versions, or a
    scheduled publication that failed or did not run), newest first."""
    today = current_digest_date()
    newer = SourceChange.objects.open().filter(entry__day=OuterRef("pk"))
    scheduled = scheduled_publications_needing_attention()
    days = list(
        DigestDay.objects.with_counts().with_progress().annotate(
            has_newer_versions=Exists(newer), has_scheduled_problems=Exists(scheduled.filter(day=OuterRef("pk"))))
        .filter(Q(date=today) | Q(live_publication__isnull=True) | Q(unpublished_changes=True)
                | Q(awaiting__gt=0) | Q(reviewing__gt=0)
                | Q(status=DigestDay.Status.NEEDS_ATTENTION) | Q(has_newer_versions=True)
                | Q(has_scheduled_problems=True))
        .select_related("live_publication").defer("live_publication__markdown", "live_publication__html")
        .order_by("-date")[:FRONT_PAGE_DAYS]
    )
    failed = dict(
        MachineDraft.objects.latest_per_paper().filter(status=MachineDraft.Status.FAILED,
                                                       paper__digest_entries__day__in=days)
        .values("paper__digest_entries__day").annotate(n=Count("id", distinct=True))
        .values_list("paper__digest_entries__day", "n")
    )
    problems: dict[int, list[str]] = {}
    workers_running = None  # asked once, when an order needs it
    for item in scheduled.filter(day__in=[day for day in days if day.has_scheduled_problems]).order_by("publish_at"):
        if workers_running is None:
            workers_running = workers_seen().alive
        problems.setdefault(item.day_id, []).append(scheduled_publication_problem(item, workers_running=workers_running))
    return [
        DayAtWork(
            day=day,
            failed_drafts=failed.get(day.pk, 0),
            unpublished_changes=len(unpublished_changes(day=day)) if day.unpublished_changes else 0,
            newer_versions=len(newer_versions_of(day)["published"]) if day.has_newer_versions else 0,
            flags=list(day.transitions.filter(Q(to_status=DigestDay.Status.NEEDS_ATTENTION) | Q(step="acknowledge"))
                       .order_by("-at")[:3]),
            scheduled_problems=problems.get(day.pk, []),
        )
        for day in days
    ]


def recent_edits_of(user) -> list[Revision]:
    """The user's own last saves, with the entry (of its newest day) to go back to."""
    revisions = list(Revision.objects.filter(author=user).select_related("paper").order_by("-created_at")[:RECENT_EDITS])
    for revision in revisions:
        revision.entry = revision.paper.digest_entries.order_by("-day__date").first()
    return revisions
