"""New arXiv versions of papers already approved or published: mark their entries, show the
English difference, and clear the mark when an editor approves again or dismisses it.

papers.services sends `paper_replaced` inside the fetch's transaction; publishing.receivers
calls `source_change_record`, so the mark is stored (or not) with the fetch itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from digests.access import user_may
from papers.models import FetchRun, Paper
from papers.services import PaperBefore
from publishing.audit import audit_log
from publishing.models import DigestDay, Entry, PublishedPaper, SourceChange
from publishing.permissions import REVIEW_ENTRY
from translations.diffing import diff_words_html
from translations.segments import normalise


def english_changed(before: PaperBefore, paper: Paper) -> list[str]:
    """The English fields (title, abstract, comments) that differ beyond white space."""
    return [name for name in SourceChange.ENGLISH_FIELDS
            if normalise(getattr(before, name)) != normalise(getattr(paper, name))]


@transaction.atomic
def source_change_record(*, paper: Paper, previous: PaperBefore, run: FetchRun | None = None) -> list[SourceChange]:
    """Mark each entry of `paper` that is approved, or in its day's live publication, as having a
    newer source; nothing when only the version and dates changed. Idempotent per new version."""
    changed = english_changed(previous, paper)
    if not changed:
        return []
    live_days = set(
        PublishedPaper.objects.live().filter(paper=paper).values_list("publication__day_id", flat=True)
    )
    marks = []
    for entry in Entry.objects.filter(paper=paper).filter(Q(state=Entry.State.APPROVED) | Q(day_id__in=live_days)):
        if entry.source_changes.filter(new_version=paper.version).exists():
            continue
        try:
            with transaction.atomic():
                marks.append(SourceChange.objects.create(
                    entry=entry, old_version=previous.version, new_version=paper.version,
                    old_title=previous.title, new_title=paper.title, old_abstract=previous.abstract,
                    new_abstract=paper.abstract, old_comment=previous.comment, new_comment=paper.comment,
                    changed_fields=changed, was_published=entry.day_id in live_days, fetch_run=run,
                ))
        except IntegrityError:  # another fetch marked it a moment ago
            continue
    return marks


def source_changes_resolve(*, entry: Entry, user, how: str) -> int:
    """Clear the entry's open marks (`how`: "approved" or "dismissed"); returns how many. Call in a transaction."""
    return SourceChange.objects.open().filter(entry=entry).update(
        resolved_at=timezone.now(), resolved_by=user, resolution=how
    )


class SourceChangeError(Exception):
    pass


@transaction.atomic
def source_changes_dismiss(*, entry: Entry, user) -> int:
    """An editor read the new English and decided the approved text stands (e.g. only the comments changed)."""
    if not user_may(user, REVIEW_ENTRY, entry.digest_id):
        raise SourceChangeError(_("Only editors of the entry's digest can dismiss a source change."))
    done = source_changes_resolve(entry=entry, user=user, how="dismissed")
    if done:
        audit_log(user=user, obj=entry, message="Dismissed the newer arXiv version: the approved text stands")
    return done


@dataclass(frozen=True)
class SourceChangeView:
    """One open mark as the review page shows it: the versions, and the English diff per changed field."""

    change: SourceChange
    diffs: list[tuple[str, SafeString]]


FIELD_LABELS = {"title": _("title"), "abstract": _("abstract"), "comment": _("comments")}


def source_changes_shown(entry: Entry) -> list[SourceChangeView]:
    return [
        SourceChangeView(change, [
            (FIELD_LABELS[name], diff_words_html(getattr(change, f"old_{name}"), getattr(change, f"new_{name}")))
            for name in change.changed_fields
        ])
        for change in entry.source_changes.open().order_by("detected_at", "id")
    ]


def newer_versions_of(day: DigestDay) -> dict[str, list[Entry]]:
    """The day's entries with an open mark, split into those readers see ("published") and the rest ("approved")."""
    entries = list(
        day.entries.filter(source_changes__resolved_at__isnull=True, source_changes__isnull=False)
        .select_related("paper").distinct().order_by("position")
    )
    live = set(PublishedPaper.objects.filter(publication_id=day.live_publication_id).values_list("paper_id", flat=True))
    return {
        "published": [entry for entry in entries if entry.paper_id in live],
        "approved": [entry for entry in entries if entry.paper_id not in live],
    }
