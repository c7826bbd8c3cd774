"""The editor's front page (the admin index): the days that still need work, digest by digest (the
user's digests only), with their progress, failed drafts, flags, approved changes not yet published
and papers with newer arXiv versions, and the editor's own last edits."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from digests.access import digests_of, rows_of_user_digests
from digests.models import Digest
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


@dataclass(frozen=True)
class DigestAtWork:
    digest: Digest
    days: list[DayAtWork]
    row_id_prefix: str  # the rows' ids: "front-day-<prefix><date>" (the first digest keeps "front-day-<date>")


def work_by_digest(user) -> list[DigestAtWork]:
    """The days at work of each of the user's digests, in the home page's order."""
    digests = list(digests_of(user))
    home_id = Digest.objects.order_by("pk").values_list("pk", flat=True).first()
    return [DigestAtWork(digest=digest, days=days_at_work(digest=digest),
                         row_id_prefix="" if digest.pk == home_id else f"{digest.slug}-")
            for digest in digests]


def unfinished_work(user=None) -> UnfinishedWork:
    """The entries still awaiting a draft or in review, of the user's digests (every digest's without a user)."""
    unfinished = Entry.objects.filter(state__in=[Entry.State.AWAITING_DRAFT, Entry.State.IN_REVIEW])
    if user is not None:
        unfinished = rows_of_user_digests(unfinished, user)
    counts = unfinished.aggregate(entries=Count("id"), days=Count("day", distinct=True))
    return UnfinishedWork(entries=counts["entries"], days=counts["days"])


def days_at_work(*, digest: Digest | None = None) -> list[DayAtWork]:
    """The digest's (every digest's if None) today's day and every day not published (or published with
    changes since, or with entries still awaiting a draft or in review, or with papers that have newer
    arXiv versions, or a scheduled publication that failed or did not run), newest first."""
    today = current_digest_date() if digest is None else timezone.now().astimezone(digest.tz).date()
    by_digest = Q() if digest is None else Q(digest=digest)
    newer = SourceChange.objects.open().filter(entry__day=OuterRef("pk"))
    scheduled = scheduled_publications_needing_attention()
    days = list(
        DigestDay.objects.filter(by_digest).with_counts().with_progress().annotate(
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
    """The user's own last saves, with the entry (of its newest day, in one of the user's digests) to go back to."""
    revisions = list(Revision.objects.filter(author=user).select_related("paper").order_by("-created_at")[:RECENT_EDITS])
    for revision in revisions:
        entries = rows_of_user_digests(revision.paper.digest_entries.all(), user)
        revision.entry = entries.order_by("-day__date").first()
    return revisions
