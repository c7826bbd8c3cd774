"""Storing what arXiv gave us, and the audit record of each fetch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import django.dispatch
from django.db import transaction
from django.utils import timezone

from papers.feeds import FeedPaper
from papers.models import FetchRun, Paper

# Sent inside the fetch's transaction when a stored paper's version went up: `paper` (already
# updated), `previous` (a PaperBefore: its version and English before) and `run` (the FetchRun or None).
paper_replaced = django.dispatch.Signal()


@dataclass(frozen=True)
class PaperBefore:
    """What a stored paper said before a newer version replaced it."""

    version: int
    title: str
    abstract: str
    comment: str


class FetchRunStateError(Exception):
    pass


@dataclass(frozen=True)
class FetchCounts:
    fetched: int = 0
    kept: int = 0
    duplicates: int = 0
    filtered_out: int = 0
    outside_window: int = 0
    papers_created: int = 0
    papers_updated: int = 0


def fetch_run_start(
    *,
    digest_date: dt.date,
    window_start: dt.datetime,
    window_end: dt.datetime,
    query_start: dt.datetime,
    source: str,
    categories: Sequence[str],
) -> FetchRun:
    # Committed on its own, before the fetch's transaction, so a failed fetch still leaves its record.
    return FetchRun.objects.create(
        digest_date=digest_date,
        window_start=window_start,
        window_end=window_end,
        query_start=query_start,
        source=source,
        categories=list(categories),
        status=FetchRun.Status.RUNNING,
    )


def _fetch_run_move(run: FetchRun, status: FetchRun.Status, **fields) -> FetchRun:
    if not FetchRun.TRANSITIONS.allows(run.status, status) or not FetchRun.TRANSITIONS.move(
            run, status, finished_at=timezone.now(), **fields):
        raise FetchRunStateError(f"fetch run #{run.pk} is {run.status}; it cannot become {status}")
    return run


def fetch_run_succeed(*, run: FetchRun, counts: FetchCounts, source_detail: str, warning: str = "",
                      digest_counts: dict | None = None) -> FetchRun:
    return _fetch_run_move(
        run, FetchRun.Status.SUCCEEDED, source_detail=source_detail, warning=warning,
        digest_counts=digest_counts or {}, **asdict(counts)
    )


def fetch_run_fail(*, run: FetchRun, error: str, source_detail: str = "") -> FetchRun:
    return _fetch_run_move(run, FetchRun.Status.FAILED, error=error, source_detail=source_detail or run.source_detail)


def fetch_run_retry_planned(*, run: FetchRun, at: dt.datetime) -> None:
    """Record on a failed run when it will be tried again (the morning job's retry)."""
    FetchRun.objects.filter(pk=run.pk).update(next_try_at=at)


# No fetch runs this long: a run still `running` after it lost its process or its database.
FETCH_RUN_LIFETIME = dt.timedelta(hours=1)


def fetch_runs_fail_interrupted(*, now: dt.datetime | None = None) -> int:
    """Record as failed the runs that can no longer finish (their process stopped, or lost its
    database mid-fetch and could not write its outcome); called when the next fetch starts."""
    cutoff = (now or timezone.now()) - FETCH_RUN_LIFETIME
    return FetchRun.TRANSITIONS.move_rows(
        FetchRun.objects.filter(started_at__lt=cutoff), FetchRun.Status.FAILED, from_states=[FetchRun.Status.RUNNING],
        finished_at=timezone.now(),
        error="interrupted: the fetch stopped (or lost its database) before it could record its outcome; "
        "nothing it fetched was kept",
    )


def _authors_json(feed_paper: FeedPaper) -> list[dict]:
    return [{"name": author.name, "affiliations": list(author.affiliations)} for author in feed_paper.authors]


def _fields_from_feed(feed_paper: FeedPaper) -> dict:
    return {
        "version": feed_paper.version,
        "title": feed_paper.title,
        "authors": _authors_json(feed_paper),
        "primary_category": feed_paper.primary_category,
        "categories": list(feed_paper.categories),
        "other_classes": list(feed_paper.other_classes),
        "abstract": feed_paper.abstract,
        "comment": feed_paper.comment,
        "journal_ref": feed_paper.journal_ref,
        "doi": feed_paper.doi,
        "license": feed_paper.license,
        "published": feed_paper.published,
        "updated": feed_paper.updated,
    }


def _changes_for(paper: Paper, feed_paper: FeedPaper) -> dict:
    """The fields a feed entry should change on a stored paper.

    An older version never overwrites a newer one. The announcement feeds know
    less than the API (no submission dates, comments, affiliations or marked
    primary category), so for a paper already stored they only add what it lacks.
    """
    if feed_paper.version < paper.version:
        return {}
    incoming = _fields_from_feed(feed_paper)
    if feed_paper.announced is not None:
        for name in ("published", "updated", "primary_category", "comment"):
            incoming.pop(name)
        stored_authors = paper.authors
        if [author["name"] for author in stored_authors] == [author["name"] for author in incoming["authors"]]:
            incoming.pop("authors")
        for name in ("license", "doi", "journal_ref"):
            if not incoming[name]:
                incoming.pop(name)
    return {name: value for name, value in incoming.items() if getattr(paper, name) != value}


@dataclass(frozen=True)
class UpsertOutcome:
    papers: dict[str, Paper]
    created: int
    updated: int


def papers_upsert_from_feed(*, feed_papers: Iterable[FeedPaper], run: FetchRun | None = None) -> UpsertOutcome:
    """Create or update one Paper per arXiv id; writes only what changed (so re-running changes nothing).

    A stored paper whose version goes up sends `paper_replaced` with its text before, so apps that
    keep work on the old text (publishing's approved entries) can mark it; papers knows none of them.
    """
    by_id: dict[str, FeedPaper] = {}
    for feed_paper in feed_papers:
        known = by_id.get(feed_paper.arxiv_id)
        if known is None or (feed_paper.version, feed_paper.updated) > (known.version, known.updated):
            by_id[feed_paper.arxiv_id] = feed_paper
    stored = Paper.objects.in_bulk(list(by_id), field_name="arxiv_id")
    now = timezone.now()
    created = updated = 0
    with transaction.atomic():
        for arxiv_id, feed_paper in by_id.items():
            paper = stored.get(arxiv_id)
            if paper is None:
                stored[arxiv_id] = Paper.objects.create(
                    arxiv_id=arxiv_id,
                    first_seen_at=now,
                    last_changed_at=now,
                    last_changed_by_run=run,
                    **_fields_from_feed(feed_paper),
                )
                created += 1
                continue
            changes = _changes_for(paper, feed_paper)
            if not changes:
                continue
            before = PaperBefore(paper.version, paper.title, paper.abstract, paper.comment)
            for name, value in changes.items():
                setattr(paper, name, value)
            paper.last_changed_at = now
            paper.last_changed_by_run = run
            paper.save(update_fields=[*changes, "last_changed_at", "last_changed_by_run"])
            updated += 1
            if paper.version > before.version:
                paper_replaced.send(sender=Paper, paper=paper, previous=before, run=run)
    return UpsertOutcome(papers=stored, created=created, updated=updated)
