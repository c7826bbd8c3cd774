"""Which fetched papers enter a day: a pure decision per paper.

The rule that makes every announced paper land in exactly one day: a day takes
every matching paper, seen in its look-back range, that no day holds yet. A
paper not visible at one day's fetch is simply taken by the next day's.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from papers.announcements import ARXIV_TIMEZONE
from papers.feeds import FeedPaper


class Action(enum.Enum):
    KEEP = "keep"  # becomes an entry of the day
    FILTER = "filter"  # new to the digest, dropped by a filter; recorded for the day
    DUPLICATE = "duplicate"  # a day already holds it (or it repeats within the fetch)
    SKIP = "skip"  # not this day's business: outside the range, or an update of a paper never held
    # A new archive's first day: announced before the announcement that day is owed; recorded for the
    # day (so no later day takes it), not an entry.
    BEFORE_ARCHIVE = "before_archive"


@dataclass(frozen=True)
class Decision:
    action: Action
    kind: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SelectionRules:
    categories: tuple[str, ...]
    primary_only: bool = False
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    announce_types: tuple[str, ...] = ("new", "cross")

    @classmethod
    def for_digest(cls, digest) -> SelectionRules:
        """A digest's rules (digests.Digest)."""
        return cls(
            categories=tuple(digest.categories),
            primary_only=digest.cross_lists == digest.CrossLists.PRIMARY_ONLY,
            include_keywords=tuple(digest.include_keywords),
            exclude_keywords=tuple(digest.exclude_keywords),
            announce_types=digest.announce_types,
        )

    def concerns(self, paper: FeedPaper) -> bool:
        """Whether the paper is listed in one of the rules' categories (as its primary or a cross-list)."""
        return paper.primary_category in self.categories or any(c in self.categories for c in paper.categories)

    @classmethod
    def from_settings(cls) -> SelectionRules:
        return cls(
            categories=tuple(settings.DIGEST_CATEGORIES),
            primary_only=settings.DIGEST_PRIMARY_ONLY,
            include_keywords=tuple(settings.DIGEST_INCLUDE_KEYWORDS),
            exclude_keywords=tuple(settings.DIGEST_EXCLUDE_KEYWORDS),
            announce_types=tuple(settings.DIGEST_ANNOUNCE_TYPES),
        )


@dataclass(frozen=True)
class ArchiveStart:
    """Where a new archive begins: the announcement its first day is owed.

    A first collection would otherwise give its day every paper of the look-back (several
    announcements). The day is owed the newest announcement a fetch at its anchor should see
    (the one the stale-feed check expects); papers of later announcements are its own by the
    usual rule; papers of earlier ones are recorded as before the archive began.
    """

    announcement: dt.datetime
    # The deadline of the announcement before it: its batch holds papers submitted after this.
    submitted_after: dt.datetime

    def holds(self, moment: dt.datetime, *, announced: bool) -> bool:
        """Whether a paper submitted (API) or announced (feeds) at `moment` belongs to the archive."""
        return moment >= self.announcement if announced else moment > self.submitted_after

    @property
    def reason(self) -> str:
        local = self.announcement.astimezone(ARXIV_TIMEZONE)
        return (
            f"before the archive began: announced before {local:%a %Y-%m-%d %H:%M} US Eastern, the first "
            "announcement of the archive's first day (fetch_papers --backfill takes it)"
        )


REPLACEMENT_KINDS = ("replace", "replace-cross")


def _kind(primary_listed: bool, replacement: bool) -> str:
    if replacement:
        return "replace" if primary_listed else "replace-cross"
    return "new" if primary_listed else "cross"


def _filter_reason(paper: FeedPaper, kind: str, rules: SelectionRules) -> str:
    listed = [category for category in paper.categories if category in rules.categories]
    if rules.primary_only and paper.primary_category not in rules.categories:
        return f"primary category {paper.primary_category} is not one of the digest's (primary only)"
    if not listed and paper.primary_category not in rules.categories:
        return f"not in the chosen categories ({', '.join(paper.categories) or 'none'})"
    if kind not in rules.announce_types:
        return f"announce type {kind} is not one the digest takes"
    text = f"{paper.title}\n{paper.abstract}".casefold()
    excluded = [keyword for keyword in rules.exclude_keywords if keyword.casefold() in text]
    if excluded:
        return f"mentions excluded keyword {excluded[0]!r}"
    if rules.include_keywords and not any(keyword.casefold() in text for keyword in rules.include_keywords):
        return "mentions none of the digest's include keywords"
    return ""


def select_paper(
    paper: FeedPaper,
    *,
    held_versions: Sequence[int],
    filtered_before: bool,
    range_start: dt.datetime,
    range_end: dt.datetime,
    rules: SelectionRules,
    archive_start: ArchiveStart | None = None,
) -> Decision:
    """Decide what one fetched paper means for the day whose look-back range is given.

    Steps:
    1. A paper some day holds is a duplicate, unless this is a newer version and
       the rules let replacements re-enter.
    2. Otherwise classify it: new or cross-list (by its primary category), or a
       replacement of a paper first announced before the look-back range.
    3. It must fall in the range: the API's submission time within
       [range_start, range_end]; an announcement feed's date from range_start on
       (the feed shows the current announcement, dated after the anchor in winter).
    4. Replacements of papers the digest never held are skipped unless allowed.
    5. On a new archive's first day (`archive_start`), a paper of an announcement
       before the one the day is owed is recorded as before the archive began.
    6. Category, announce-type and keyword filters decide keep or filter.
    """
    primary_listed = paper.primary_category in rules.categories
    if held_versions or filtered_before:
        if held_versions and paper.version > max(held_versions):
            kind = _kind(primary_listed, replacement=True)
            if kind in rules.announce_types and range_start <= paper.updated <= range_end:
                reason = _filter_reason(paper, kind, rules)
                if not reason:
                    return Decision(Action.KEEP, kind)
        return Decision(Action.DUPLICATE, reason="a day already holds this paper")

    if paper.announce_type:
        # The feed's type is relative to the categories it was asked for (all digests' at once):
        # new or cross-list is decided again by this digest's own categories.
        kind = _kind(primary_listed, replacement=paper.announce_type in REPLACEMENT_KINDS)
        moment = paper.announced
        if moment < range_start:
            return Decision(Action.SKIP, kind, "announced before the look-back range")
    else:
        replacement = paper.version > 1 and paper.published < range_start
        kind = _kind(primary_listed, replacement)
        moment = paper.updated if replacement else paper.published
        if moment < range_start:
            return Decision(Action.SKIP, kind, "submitted before the look-back range")
        if moment > range_end:
            return Decision(Action.SKIP, kind, "submitted after the day's window")

    if kind in REPLACEMENT_KINDS and kind not in rules.announce_types:
        return Decision(Action.SKIP, kind, "a new version of a paper the digest never held")
    if archive_start is not None and not archive_start.holds(moment, announced=bool(paper.announce_type)):
        return Decision(Action.BEFORE_ARCHIVE, kind, archive_start.reason)
    reason = _filter_reason(paper, kind, rules)
    if reason:
        return Decision(Action.FILTER, kind, reason)
    return Decision(Action.KEEP, kind)
