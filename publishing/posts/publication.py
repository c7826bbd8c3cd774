"""Publishing a day: freeze its approved entries as a versioned Publication, or take it down.

The only code that creates publications or sets `DigestDay.live_publication`. The
markdown comes from `markdown_export.render_day_markdown` over exactly the revisions
editors approved; the HTML is that markdown rendered and sanitised once, here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from digests.access import require_in_digest
from publishing.audit import audit_log
from publishing.days.services import PUBLISH_STEP, day_move, shell_login
from publishing.models import DigestDay, Entry, Publication, PublishedPaper, PublishedPaperCategory
from publishing.permissions import PUBLISH_DAY
from publishing.posts.markdown_export import DayPost, PaperPost, render_day_markdown
from publishing.posts.rendering import render_post_html
from publishing.signals import day_publication_changed

# How the post names the digest's time zone beside its abbreviation ("CST，北京时间").
TIMEZONE_NAMES = {"Asia/Shanghai": "北京时间", "Asia/Hong_Kong": "香港时间", "Asia/Taipei": "台北时间", "UTC": "协调世界时"}


class PublishError(Exception):
    """The day cannot be published (or unpublished) as asked; nothing was changed.

    `str(error)` is the English the commands print; `shown` the same in the editor's language, for the admin.
    """

    def __init__(self, message: str, *, shown: str = ""):
        super().__init__(message)
        self.shown = shown or message


@dataclass(frozen=True)
class PublishResult:
    publication: Publication
    created: bool  # a new version was made
    went_live: bool  # readers see something other than before


def _approved_entries(day: DigestDay) -> list[Entry]:
    return list(
        day.entries.publishable()
        .select_related("paper", "approved_revision")
        .order_by("position", "id")
    )


def _paper_post(entry: Entry) -> PaperPost:
    revision = entry.approved_revision
    return PaperPost(
        title=entry.paper.title,
        title_zh=revision.title_zh,
        authors=entry.paper.author_names,
        categories=entry.paper.categories,
        versioned_id=f"{entry.paper.arxiv_id}v{entry.paper_version}",
        abstract_zh=revision.abstract_zh,
        background_md=revision.background_md,
        method_md=revision.method_md,
        results_md=revision.results_md,
    )


def day_post_of_approved(day: DigestDay, entries: list[Entry] | None = None) -> DayPost:
    """The day as a post of its approved entries, each with the revision that was approved."""
    entries = _approved_entries(day) if entries is None else entries
    fetched = DigestDay.objects.with_counts().values_list("fetched", flat=True).get(pk=day.pk)
    digest = day.digest
    tz = digest.tz
    window_end = day.window_end.astimezone(tz)
    return DayPost(
        date=day.date,
        title=day.post_title,
        window_start=day.window_start.astimezone(tz),
        window_end=window_end,
        timezone_label=window_end.strftime("%Z"),
        timezone_name=TIMEZONE_NAMES.get(tz.key, tz.key),
        categories=digest.categories,
        fetched=fetched,
        shown=len(entries),
        papers=[_paper_post(entry) for entry in entries],
    )


def day_markdown_of_approved(day: DigestDay) -> str:
    return render_day_markdown(day_post_of_approved(day))


def require_publisher(user, day: DigestDay) -> None:
    """Chief editors of the day's digest (digests.access) publish it; no user: an operator's command."""
    if user is not None:
        require_in_digest(user, PUBLISH_DAY, day.digest_id, "only a chief editor of the day's digest can publish "
                                                            "or unpublish it")


def _actor_name(user) -> str:
    return user.get_username() if user is not None else shell_login()


# Every field of a published paper that some public page shows; all of them decide whether a
# publication is new (whether or not the markdown shows the field).
# The reading's three sections need no place here: the markdown numbers them 1) 2) 3), so text moved
# from one section to another changes it.
READER_FIELDS = ("arxiv_id", "versioned_id", "position", "title", "authors_text", "categories_text", "abstract_en",
                 "title_zh", "abstract_zh", "reading_md")


def content_hash(markdown: str, papers: list[PublishedPaper]) -> str:
    """What readers get, as one hash: the post's markdown and every shown field of every paper."""
    shown = [[getattr(paper, name) for name in READER_FIELDS] for paper in papers]
    return hashlib.sha256(json.dumps([markdown, shown], ensure_ascii=False).encode()).hexdigest()


def _published_papers(day: DigestDay, entries: list[Entry]) -> list[PublishedPaper]:
    """The rows the paper, category and search pages read, before they belong to a publication."""
    rows = []
    for entry in entries:
        paper, revision = entry.paper, entry.approved_revision
        reading = "\n\n".join((revision.background_md, revision.method_md, revision.results_md))
        rows.append(PublishedPaper(
            paper=paper,
            digest=day.digest,
            day_date=day.date,
            position=entry.position,
            arxiv_id=paper.arxiv_id,
            versioned_id=f"{paper.arxiv_id}v{entry.paper_version}",
            title=paper.title,
            authors_text=", ".join(paper.author_names),
            categories_text=f" {' '.join(paper.categories)} ",
            abstract_en=paper.abstract,
            title_zh=revision.title_zh,
            reviewed_at=entry.approved_at,
            abstract_zh=revision.abstract_zh,
            background_md=revision.background_md,
            method_md=revision.method_md,
            results_md=revision.results_md,
            reading_md=reading,
        ))
    return rows


def _go_live(day: DigestDay, publication: Publication | None) -> None:
    # The category rows copy `live` (the category pages read them alone); changed first, while
    # the papers' own `live` still says which rows to change.
    PublishedPaperCategory.objects.filter(published_paper__publication__day=day, live=True).update(live=False)
    PublishedPaper.objects.filter(publication__day=day, live=True).update(live=False)
    if publication is not None:
        PublishedPaperCategory.objects.filter(published_paper__publication=publication).update(live=True)
        publication.papers.update(live=True)
    day.live_publication = publication
    day.save(update_fields=["live_publication"])


@dataclass(frozen=True)
class PostToPublish:
    """What publishing the day now would freeze: its approved entries, the post, the papers' rows."""

    entries: list[Entry]
    markdown: str
    papers: list[PublishedPaper]
    content_hash: str


def day_post_to_publish(*, day: DigestDay, approved_only: bool) -> PostToPublish:
    """The post the day would publish now, or PublishError saying why it cannot be published."""
    if day.status not in (DigestDay.Status.IN_REVIEW, DigestDay.Status.PUBLISHED):
        raise PublishError(f"{day.date} is {day.status}; only a day in review can be published",
                           shown=_("%(date)s is %(status)s; only a day in review can be published.") % {
                               "date": day.date, "status": day.get_status_display()})
    waiting = day.entries.filter(state__in=Entry.NOT_REVIEWED).count()
    if waiting and not approved_only:
        raise PublishError(
            f"{day.date} still has {waiting} entries not reviewed; approve or reject them, "
            "or publish the approved entries only (--approved-only)",
            shown=_("%(date)s still has %(count)s entries not reviewed: approve or reject them, or publish the "
                    "approved entries only.") % {"date": day.date, "count": waiting},
        )
    entries = _approved_entries(day)
    if not entries:
        raise PublishError(f"{day.date} has no approved entries to publish",
                           shown=_("%(date)s has no approved entries to publish.") % {"date": day.date})
    markdown = render_day_markdown(day_post_of_approved(day, entries))
    papers = _published_papers(day, entries)
    return PostToPublish(entries=entries, markdown=markdown, papers=papers, content_hash=content_hash(markdown, papers))


@transaction.atomic
def day_publish(*, day: DigestDay, user=None, approved_only: bool = False, expected_hash: str | None = None,
                correction_note: str = "") -> PublishResult:
    """Publish the day's approved entries. `user` None means the shell (trusted, recorded by login name).

    Refused while entries are still awaiting a draft or in review unless `approved_only`, and,
    given `expected_hash` (what a preview showed), when what would be published differs from it.
    Publishing text identical to a version already made reuses that version.
    """
    require_publisher(user, day)
    day = DigestDay.objects.select_for_update().get(pk=day.pk)
    post = day_post_to_publish(day=day, approved_only=approved_only)
    if expected_hash is not None and post.content_hash != expected_hash:
        raise PublishError(
            f"what {day.date} would publish changed since you looked (an entry was approved, edited or rejected); "
            "look at the preview again",
            shown=_("What %(date)s would publish changed since you looked (an entry was approved, edited or "
                    "rejected); look at the preview again.") % {"date": day.date},
        )
    entries, markdown, papers, shown_hash = post.entries, post.markdown, post.papers, post.content_hash
    publication = day.publications.filter(content_hash=shown_hash).order_by("-version").first()
    created = publication is None
    if created:
        latest = day.publications.order_by("-version").first()
        publication = Publication.objects.create(
            day=day,
            version=(latest.version + 1) if latest else 1,
            markdown=markdown,
            html=render_post_html(markdown, papers=papers),
            content_hash=shown_hash,
            paper_count=len(entries),
            published_by=user,
            published_by_name=_actor_name(user),
            correction_note=correction_note.strip(),
            published_at=timezone.now(),
        )
        for paper in papers:
            paper.publication = publication
        PublishedPaper.objects.bulk_create(papers)
        PublishedPaperCategory.objects.bulk_create(PublishedPaperCategory.for_papers(papers))
    went_live = day.live_publication_id != publication.pk
    if went_live:
        _go_live(day, publication)
        day_move(day=day, to=DigestDay.Status.PUBLISHED, step=PUBLISH_STEP, user=user,
                 reason=f"version {publication.version}")
        audit_log(user=user, obj=day, message=f"Published version {publication.version}" + ("" if created else " again"))
        transaction.on_commit(lambda: day_publication_changed.send(sender=DigestDay, day=day))
    return PublishResult(publication=publication, created=created, went_live=went_live)


@transaction.atomic
def day_unpublish(*, day: DigestDay, user=None) -> DigestDay:
    """Hide the day from readers; its versions are kept and it goes back to review."""
    require_publisher(user, day)
    day = DigestDay.objects.select_for_update().get(pk=day.pk)
    if day.live_publication_id is None:
        raise PublishError(f"{day.date} is not published",
                           shown=_("%(date)s is not published.") % {"date": day.date})
    version = day.live_publication.version
    _go_live(day, None)
    day_move(day=day, to=DigestDay.Status.IN_REVIEW, step=PUBLISH_STEP, user=user,
             reason=f"unpublished (version {version} hidden)")
    audit_log(user=user, obj=day, message=f"Unpublished (version {version} hidden)")
    transaction.on_commit(lambda: day_publication_changed.send(sender=DigestDay, day=day))
    return day

