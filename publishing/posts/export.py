"""A day's post as a Jekyll file: the published version, or (when asked) a preview of its approved entries."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from django.conf import settings

from publishing.models import DigestDay
from publishing.posts.publication import day_markdown_of_approved


def post_filename(date: dt.date) -> str:
    return f"{date:%Y-%m-%d}{settings.DIGEST_EXPORT_SUFFIX}.md"


def day_export_markdown(day: DigestDay, *, include_unpublished: bool = False) -> str | None:
    """The bytes readers get at /days/D.md; for a day readers cannot see, with approved entries and
    `include_unpublished`, the post those entries would make. None when there is nothing to export."""
    if day.is_public:
        return day.live_publication.markdown
    if include_unpublished and day.entries.publishable().exists():
        return day_markdown_of_approved(day)
    return None


def write_post(directory: Path, date: dt.date, markdown: str) -> bool:
    """Write the post atomically; returns False when the file already held these bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / post_filename(date)
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
    """Mirror the day into DIGEST_JEKYLL_POSTS_DIR (when set): its live post, or no file when unpublished."""
    if not settings.DIGEST_JEKYLL_POSTS_DIR:
        return
    directory = Path(settings.DIGEST_JEKYLL_POSTS_DIR)
    day = DigestDay.objects.select_related("live_publication").get(pk=day.pk)
    if day.is_public:
        write_post(directory, day.date, day.live_publication.markdown)
    else:
        (directory / post_filename(day.date)).unlink(missing_ok=True)


def jekyll_posts_come_due(*, look_back_days: int = 7) -> int:
    """Write the posts of days published ahead of their date whose date has now come; how many were written.

    Publishing such a day wrote no post (readers could not see it yet; `jekyll_posts_sync` left
    no file). Publishing's sweep calls this every few minutes: a post already holding the live
    version's bytes is left as it is, so each is written once.
    """
    if not settings.DIGEST_JEKYLL_POSTS_DIR:
        return 0
    directory = Path(settings.DIGEST_JEKYLL_POSTS_DIR)
    return sum(write_post(directory, publication.day.date, publication.markdown)
               for publication in DigestDay.objects.published_ahead_now_public(look_back_days=look_back_days))
