"""A day's post as a Jekyll file: the published version, or (when asked) a preview of its approved entries."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from django.conf import settings

from digests.models import Digest
from publishing.models import DigestDay
from publishing.posts.publication import day_markdown_of_approved


def post_slug(digest: Digest) -> str:
    """What a digest's post names carry: nothing for the first digest (its posts keep their names), the
    slug for another."""
    return "" if digest.is_home else digest.slug


def post_filename(date: dt.date, slug: str = "") -> str:
    """YYYY-MM-DD<suffix>.md, and -<slug> before .md for a digest other than the first (`post_slug`).

    The slug is in the name rather than in a sub-folder so that no two digests' posts share a name
    anywhere: Jekyll reads `_posts` with its sub-folders and builds a post's address from its file
    name, so two digests' posts of a date in one site (or two digests given one folder) would
    otherwise overwrite each other."""
    return f"{date:%Y-%m-%d}{settings.DIGEST_EXPORT_SUFFIX}{f'-{slug}' if slug else ''}.md"


def day_export_markdown(day: DigestDay, *, include_unpublished: bool = False) -> str | None:
    """The bytes readers get at /days/D.md; for a day readers cannot see, with approved entries and
    `include_unpublished`, the post those entries would make. None when there is nothing to export."""
    if day.is_public:
        return day.live_publication.markdown
    if include_unpublished and day.entries.publishable().exists():
        return day_markdown_of_approved(day)
    return None


def write_post(directory: Path, date: dt.date, markdown: str, *, slug: str = "") -> bool:
    """Write the post atomically; returns False when the file already held these bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / post_filename(date, slug)
    data = markdown.encode("utf-8")
    if target.is_file() and target.read_bytes() == data:
        return False
    # A temporary file beside it, replaced in one step: a reader never sees half a post.
    # (Opened plainly, not with tempfile, so the post gets the usual permissions, not 0600.)
    partial = directory / f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return True


def jekyll_posts_sync(day: DigestDay) -> None:
    """Mirror the day into its digest's Jekyll posts folder (`export_dir`, when set; the first digest's is
    seeded from DIGEST_JEKYLL_POSTS_DIR): its live post, or no file when unpublished."""
    day = DigestDay.objects.select_related("live_publication", "digest").get(pk=day.pk)
    if not day.digest.export_dir:
        return
    directory, slug = Path(day.digest.export_dir), post_slug(day.digest)
    if day.is_public:
        write_post(directory, day.date, day.live_publication.markdown, slug=slug)
    else:
        (directory / post_filename(day.date, slug)).unlink(missing_ok=True)


def jekyll_posts_come_due(*, look_back_days: int = 7) -> int:
    """Write the posts of days published ahead of their date whose date has now come; how many were written.

    Publishing such a day wrote no post (readers could not see it yet; `jekyll_posts_sync` left
    no file). Publishing's sweep calls this every few minutes: a post already holding the live
    version's bytes is left as it is, so each is written once. Each goes to its digest's folder.
    """
    folders = {digest.pk: (Path(digest.export_dir), post_slug(digest))
               for digest in Digest.objects.exclude(export_dir="")}
    if not folders:
        return 0
    written = 0
    for publication in DigestDay.objects.published_ahead_now_public(look_back_days=look_back_days):
        day = publication.day
        if day.digest_id in folders:
            directory, slug = folders[day.digest_id]
            written += write_post(directory, day.date, publication.markdown, slug=slug)
    return written
