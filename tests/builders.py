"""Building a demo day in tests: collect the demo feed, draft with the demo drafts, approve, publish."""

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth.models import Group, User

from digests.models import Digest, DigestRole
from digests.roles import digest_roles_give
from publishing.days.collection import CollectionResult, day_collect
from publishing.days.pipeline import day_start_drafting
from publishing.models import DigestDay
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from translations.revisions import revision_save, text_current
from translations.services import draft_record_demo

REPO = Path(__file__).resolve().parents[1]
DEMO_FEED = str(REPO / "demo" / "arxiv-api-demo-2026-01-09.xml")
DEMO_DRAFTS = json.loads((REPO / "demo" / "drafts-2026-01-09.json").read_text())["drafts"]
DEMO_DATE = dt.date(2026, 1, 9)


def paper_build(arxiv_id: str = "2601.05011", *, version: int = 1):
    """A paper as a feed would store it, with nothing else attached."""
    from papers.models import Paper

    published = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    return Paper.objects.create(
        arxiv_id=arxiv_id, version=version, title="Leveraging Prediction Entropy for Prompt Weighting",
        authors=[{"name": "Karim El Khoury", "affiliations": []}], primary_category="cs.SD",
        categories=["cs.SD", "cs.LG"], abstract="Audio-language models classify sounds zero-shot.",
        published=published, updated=published,
    )


ROLE_OF_GROUP = {group: role for role, group in DigestRole.GROUPS.items()}


def user_in(group: str | None, name: str, *, password: str = "pw", digests=None) -> User:
    """A staff user in `group` ("Editor", "Chief editor", "Site editor"; None: no editorial role). An editor or
    chief editor holds the role in `digests` (default: the first digest)."""
    user = User.objects.create_user(name, password=password, is_staff=True)
    if group in ROLE_OF_GROUP:
        digest_roles_give(user=user, role=ROLE_OF_GROUP[group], digests=digests or [Digest.objects.home()])
    elif group:
        user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def home_digest_set(**fields) -> Digest:
    """Change the first digest's rules (what the DIGEST_* settings seeded): categories, keywords, cross-lists, …"""
    digest = Digest.objects.home()
    for name, value in fields.items():
        setattr(digest, name, value)
    digest.save()
    return digest


def collect_single(**options) -> CollectionResult:
    """day_collect for an installation of one digest: its one result."""
    return day_collect(**options).single


def demo_day_collected() -> DigestDay:
    return collect_single(date=DEMO_DATE, source="file", files=[DEMO_FEED]).day


def demo_texts_recorded(day: DigestDay) -> None:
    """Each of the day's papers gets its hand-written demo draft, which becomes its first text."""
    for entry in day.entries.select_related("paper"):
        draft_record_demo(paper=entry.paper, fields=DEMO_DRAFTS[entry.paper.arxiv_id])


def demo_day_drafted(capture) -> DigestDay:
    day = demo_day_collected()
    with capture(execute=True):
        demo_texts_recorded(day)
        day_start_drafting(day=day, enqueue=False)  # every paper drafted: the day goes to review
    day.refresh_from_db()
    assert day.status == DigestDay.Status.IN_REVIEW
    return day


def approve_all(day: DigestDay, editor, *, except_positions=(), despite_errors: bool = False) -> None:
    for entry in day.entries.exclude(position__in=except_positions):
        entry_approve(entry=entry, user=editor, despite_errors=despite_errors)


def edit(entry, editor, capture, **text) -> None:
    with capture(execute=True):
        revision_save(paper=entry.paper, author=editor, text=text, base_number=text_current(entry.paper).number)


def demo_day_published(capture, editor, chief) -> DigestDay:
    day = demo_day_drafted(capture)
    approve_all(day, editor)
    with capture(execute=True):
        day_publish(day=day, user=chief)
    day.refresh_from_db()
    return day


def another_day_approved(date, template: DigestDay, editor, *, papers: int = 1) -> DigestDay:
    """A second day in review whose papers copy one of `template`'s (with its first revision), all approved."""
    from papers.models import Paper
    from publishing.models import Entry
    from translations.models import Revision

    day = DigestDay.objects.create(date=date, window_start=template.window_start, window_end=template.window_end,
                                   status=DigestDay.Status.IN_REVIEW)
    source = template.entries.select_related("paper").order_by("position").first().paper
    text = source.revisions.get(number=1).text()
    for number in range(papers):
        paper = Paper.objects.get(pk=source.pk)
        paper.pk, paper.arxiv_id = None, f"{date:%y%m}.7{number:04d}"
        paper.save()
        Revision.objects.create(paper=paper, number=1, **text)
        Entry.objects.create(day=day, paper=paper, paper_version=paper.version, kind="new", position=number + 1,
                             state=Entry.State.IN_REVIEW)
    approve_all(day, editor)
    return day


ARCHIVE_CATEGORIES = (["cs.SD"], ["cs.SD", "eess.AS"], ["eess.AS", "cs.LG"], ["cs.SD", "cs.LG", "eess.AS"])


def archive_bulk_published(dates, *, papers: int, live: bool = True) -> list[DigestDay]:
    """Days published in bulk rows (as bench/public.py fills its archive), for tests of archive scale.

    The review steps are skipped: each date gets a day, one version and `papers` papers whose
    categories cycle through ARCHIVE_CATEGORIES. `live=False`: the version exists but readers
    do not see it (as after an unpublish).
    """
    from papers.models import Paper
    from publishing.models import Publication, PublishedPaper, PublishedPaperCategory

    days = []
    for date in dates:
        window = dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC)
        day = DigestDay.objects.create(date=date, window_start=window, window_end=window + dt.timedelta(days=1),
                                       status=DigestDay.Status.PUBLISHED if live else DigestDay.Status.IN_REVIEW)
        publication = Publication.objects.create(day=day, version=1, markdown="-", html="-", content_hash=f"{date}",
                                                 paper_count=papers, published_by_name="chief")
        rows = []
        for number in range(papers):
            categories = ARCHIVE_CATEGORIES[(date.toordinal() + number) % len(ARCHIVE_CATEGORIES)]
            paper = Paper.objects.create(
                arxiv_id=f"{date:%y%m}.{date.day:02d}{number:03d}", version=1, title=f"Paper {number} of {date}",
                authors=[{"name": "A. Author", "affiliations": []}], primary_category=categories[0],
                categories=categories, abstract="An abstract.", published=window, updated=window,
            )
            rows.append(PublishedPaper(
                publication=publication, digest_id=day.digest_id, paper=paper, day_date=date, position=number + 1, live=live,
                arxiv_id=paper.arxiv_id, versioned_id=f"{paper.arxiv_id}v1", title=paper.title,
                authors_text="A. Author", categories_text=f" {' '.join(categories)} ", abstract_en=paper.abstract,
                title_zh=f"论文 {number}", abstract_zh="摘要。", reading_md="导读。",
            ))
        PublishedPaperCategory.objects.bulk_create(
            PublishedPaperCategory.for_papers(PublishedPaper.objects.bulk_create(rows)))
        if live:
            DigestDay.objects.filter(pk=day.pk).update(live_publication=publication)
        days.append(day)
    return days
