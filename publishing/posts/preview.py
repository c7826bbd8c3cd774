"""What readers will see change if a day is published now: the papers added, removed and changed
against the version they see, each change as a diff. The chief editor's confirmation page shows
it before publishing, and the review pages use it to say what approved changes are not published."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from papers.models import Paper
from publishing.models import DigestDay, Entry, PublishedPaper
from publishing.posts.publication import READER_FIELDS, PublishError, day_post_to_publish
from translations.checks import check_named
from translations.diffing import diff_html
from translations.models import Revision


def _labels() -> dict[str, str]:
    """A label for each field readers see, from the models the text comes from."""
    return {
        "versioned_id": _("arXiv version"),
        "title": capfirst(Paper._meta.get_field("title").verbose_name),
        "authors_text": capfirst(Paper._meta.get_field("authors").verbose_name),
        "categories_text": capfirst(Paper._meta.get_field("categories").verbose_name),
        "abstract_en": capfirst(Paper._meta.get_field("abstract").verbose_name),
        "title_zh": capfirst(Revision._meta.get_field("title_zh").verbose_name),
        "abstract_zh": capfirst(Revision._meta.get_field("abstract_zh").verbose_name),
        "reading_md": _("Detailed reading"),
    }


# Not shown as a change on its own: the order follows from the entries.
COMPARED_FIELDS = [name for name in READER_FIELDS if name not in ("arxiv_id", "position")]


@dataclass(frozen=True)
class PaperChange:
    KINDS = ("added", "removed", "changed")

    kind: str
    arxiv_id: str
    title: str
    diffs: list[tuple[str, str]] = field(default_factory=list)  # (label, diff HTML)
    title_zh: str = ""
    abstract_zh: str = ""  # an added paper's Chinese abstract (a changed one shows its diffs)
    # The error checks (their names) the entry was approved despite; empty for a clean approval.
    approved_despite: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishPreview:
    day: DigestDay
    approved_only: bool
    live_version: int | None
    changes: list[PaperChange]
    unchanged: int
    paper_count: int
    content_hash: str  # what the confirmation must still find when it publishes
    new_version: int | None  # None: the text equals a version already made
    problem: str = ""  # why it cannot be published now (English, as publish_day says it)
    problem_shown: str = ""  # the same in the editor's language
    # Every paper of the new version approved despite check errors, changed or not: (arXiv id, Chinese
    # title, the checks' names).
    approved_despite: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[PaperChange]:
        return [change for change in self.changes if change.kind == kind]

    @property
    def added(self) -> list[PaperChange]:
        return self.of_kind("added")

    @property
    def removed(self) -> list[PaperChange]:
        return self.of_kind("removed")

    @property
    def changed(self) -> list[PaperChange]:
        return self.of_kind("changed")


def _changes(live: list[PublishedPaper], new: list[PublishedPaper],
             despite: Mapping[str, tuple[str, ...]] | None = None) -> tuple[list[PaperChange], int]:
    """What `new` changes against `live`; `despite` names, by arXiv id, the checks an entry was approved despite."""
    labels = _labels()
    despite = despite or {}
    live_by_id = {paper.arxiv_id: paper for paper in live}
    new_ids = {paper.arxiv_id for paper in new}
    changes, unchanged = [], 0
    for paper in new:
        old = live_by_id.get(paper.arxiv_id)
        shown = {"title_zh": paper.title_zh, "approved_despite": despite.get(paper.arxiv_id, ())}
        if old is None:
            changes.append(PaperChange("added", paper.arxiv_id, paper.title, abstract_zh=paper.abstract_zh, **shown))
            continue
        diffs = [(labels[name], diff_html(getattr(old, name), getattr(paper, name)))
                 for name in COMPARED_FIELDS if getattr(old, name) != getattr(paper, name)]
        if diffs:
            changes.append(PaperChange("changed", paper.arxiv_id, paper.title, diffs, **shown))
        else:
            unchanged += 1
    changes += [PaperChange("removed", paper.arxiv_id, paper.title, title_zh=paper.title_zh)
                for paper in live if paper.arxiv_id not in new_ids]
    return changes, unchanged


def _approved_despite(entries: list[Entry]) -> dict[str, tuple[str, ...]]:
    """The names of the error checks each entry was approved despite, by arXiv id (clean approvals left out)."""
    return {
        entry.paper.arxiv_id: tuple(str(check.name) if (check := check_named(check_id)) else check_id
                                    for check_id in entry.approved_despite_checks)
        for entry in entries if entry.approved_despite_checks
    }


def publication_preview(*, day: DigestDay, approved_only: bool = False) -> PublishPreview:
    """What publishing `day` now would change for readers (against the live version, if any)."""
    live = list(PublishedPaper.objects.filter(publication_id=day.live_publication_id).order_by("position")) \
        if day.live_publication_id else []
    live_version = day.live_publication.version if day.live_publication_id else None
    try:
        post = day_post_to_publish(day=day, approved_only=approved_only)
    except PublishError as exc:
        return PublishPreview(day=day, approved_only=approved_only, live_version=live_version, changes=[],
                              unchanged=0, paper_count=0, content_hash="", new_version=None, problem=str(exc),
                              problem_shown=exc.shown)
    despite = _approved_despite(post.entries)
    changes, unchanged = _changes(live, post.papers, despite)
    existing = day.publications.filter(content_hash=post.content_hash).first()
    latest = day.publications.order_by("-version").values_list("version", flat=True).first() or 0
    return PublishPreview(
        day=day, approved_only=approved_only, live_version=live_version, changes=changes, unchanged=unchanged,
        paper_count=len(post.papers), content_hash=post.content_hash,
        new_version=None if existing else latest + 1,
        approved_despite=[(paper.arxiv_id, paper.title_zh, despite[paper.arxiv_id])
                          for paper in post.papers if paper.arxiv_id in despite],
    )


def unpublished_changes(*, day: DigestDay) -> list[PaperChange]:
    """For a published day: how its approved entries now differ from what readers see."""
    if not day.live_publication_id:
        return []
    return publication_preview(day=day, approved_only=True).changes


@dataclass(frozen=True)
class PublishedVersion:
    publication: object
    changes: list[PaperChange]  # against the version before it (none for version 1)


def day_version_history(*, day: DigestDay) -> list[PublishedVersion]:
    """Every version of a day, newest first, each with what it changed against the one before."""
    publications = list(day.publications.defer("markdown", "html").order_by("version"))
    rows: dict[int, list[PublishedPaper]] = {}
    for paper in PublishedPaper.objects.filter(publication__in=publications).order_by("position"):
        rows.setdefault(paper.publication_id, []).append(paper)
    history, previous = [], None
    for publication in publications:
        changes = _changes(rows.get(previous.pk, []), rows.get(publication.pk, []))[0] if previous else []
        history.append(PublishedVersion(publication=publication, changes=changes))
        previous = publication
    return list(reversed(history))
