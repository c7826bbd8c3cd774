"""Keeping the archive's files in step with what readers may see.

- `archive_files_day_changed(day)`: after a publish, unpublish or correction committed (public/receivers.py):
  a day readers may no longer see loses its files at once, and `day_sync` is queued for the workers: every
  page the change may touch is rendered again, a page that answers 200 is written (unless its file already
  holds those bytes), one that answers 404 loses its file.
- `archive_files_sweep()`: every few minutes (public's own Schedule): the same for days whose date came
  since they were published ahead (their page and their neighbours', the archive, the feeds), and again
  for the days whose last sync failed.
- `archive_files_rebuild()`: every page of the archive, and no file for anything else (`rebuild_archive_files`,
  after an upgrade whose templates changed).

A failure never reaches the publisher: the views still serve every page (a page with no file goes to its
view); the day is kept in the folder's record of failures, which the sweep tries again, the health
check reports (the `archive_files` part: an incident and an alert to the team) and `rebuild_archive_files`
prints.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import operator
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from digests.models import Digest
from public.archive_files.files import file_replace, page_remove, page_write, pages_on_disk, writers_lock
from public.archive_files.pages import day_urls, file_of, paper_urls, urls_of_archive, urls_of_day_change
from public.archive_files.rendering import PageRenderer
from public.page_cache import public_cache_clear
from publishing.days.windows import current_digest_date
from publishing.models import DigestDay, PublishedPaper

logger = logging.getLogger(__name__)
FAILURES_FILE = ".failures.json"
DAY_TASK = "public.tasks.archive_files_day_task"
# Recorded when a day changed, until its sync finishes: a sync that never ran (a lost task, a killed worker)
# is found by the sweep after RETRY_AFTER, and reported by the health check after REPORT_AFTER.
IN_PROGRESS = "the sync is queued or running and has not finished"
RETRY_AFTER = dt.timedelta(minutes=5)
REPORT_AFTER = dt.timedelta(minutes=15)


class ArchiveFilesError(Exception):
    """Some pages could not be rendered (their files were left as they were)."""


@dataclass
class SyncCount:
    written: int = 0
    removed: int = 0
    unchanged: int = 0

    def add(self, other: SyncCount) -> None:
        self.written += other.written
        self.removed += other.removed
        self.unchanged += other.unchanged

    def __str__(self) -> str:
        return f"{self.written} written, {self.removed} removed, {self.unchanged} unchanged"


def archive_files_root() -> Path | None:
    directory = settings.DIGEST_STATIC_ARCHIVE_DIR
    return Path(directory) if directory else None


def urls_sync(urls: Iterable[str], *, root: Path, renderer: PageRenderer | None = None, remove: Iterable[str] = (),
              progress: Callable[[], None] | None = None) -> SyncCount:
    """Render each URL and make its file say the same: written for a 200, removed for a 404; the files of
    the URLs in `remove` go.

    Each page is rendered and written under the writers' lock, so of two syncs the later render is the one
    left on disk. Any other answer (a 500) leaves the file as it was; ArchiveFilesError names them all
    once the rest are done.
    """
    renderer = renderer or PageRenderer()
    count, failed = SyncCount(), []
    for url in dict.fromkeys(urls):  # once each, in order
        with writers_lock(root):
            page = renderer.render(url)
            target = file_of(root, url)
            if page.status == 200:
                changed = page_write(target, page.body)
                count.written += changed
                count.unchanged += not changed
            elif page.status in (404, 410) or 300 <= page.status < 400:  # no page, or one another page answers
                count.removed += page_remove(target)
            else:
                failed.append(f"{url} answered {page.status}")
        if progress is not None:
            progress()
    for url in remove:
        with writers_lock(root):
            count.removed += page_remove(file_of(root, url))
    if failed:
        raise ArchiveFilesError("; ".join(failed[:5]) + (f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""))
    return count


# -- the record of failures: {"YYYY-MM-DD": {"since": ISO time, "error": "..."}} (the first digest's days;
# another digest's as "<slug>/YYYY-MM-DD") ----------------------------------------------------------------

def day_key(day: DigestDay) -> str:
    """A day's name in the record of failures (and the health report): its date, after its digest's slug
    unless the digest is the first."""
    return f"{day.date:%Y-%m-%d}" if day.digest.is_home else f"{day.digest.slug}/{day.date:%Y-%m-%d}"


def _days_of_keys(keys: Iterable[str]) -> tuple[list[DigestDay], list[str]]:
    """The days the record names, and the keys of days that are gone (or never were)."""
    first = Digest.objects.home()
    wanted = {}
    for key in keys:
        slug, _slash, date = key.rpartition("/")
        try:
            wanted[key] = (slug or first.slug, dt.date.fromisoformat(date))
        except ValueError:
            continue
    found = {}
    if wanted:
        condition = functools.reduce(operator.or_, (Q(digest__slug=slug, date=date) for slug, date in wanted.values()))
        found = {(day.digest.slug, day.date): day for day in DigestDay.objects.filter(condition).select_related("digest")}
    days = [found[place] for place in dict.fromkeys(wanted.values()) if place in found]
    return days, [key for key, place in wanted.items() if place not in found]


def failures_read(root: Path) -> dict[str, dict]:
    try:
        return json.loads((root / FAILURES_FILE).read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        return {"": {"since": timezone.now().isoformat(), "error": f"the record of failures is unreadable: {exc}"}}


def _failures_change(root: Path, key: str, error: str | None) -> None:
    with writers_lock(root):
        failures = failures_read(root)
        if error is None:
            if failures.pop(key, None) is None:
                return
        else:  # `since` is when the day's files first fell behind
            failures[key] = {"since": failures.get(key, {}).get("since", timezone.now().isoformat()), "error": error}
        if failures:
            file_replace(root / FAILURES_FILE, json.dumps(failures, ensure_ascii=False, indent=1).encode())
        else:
            (root / FAILURES_FILE).unlink(missing_ok=True)


def archive_files_problems() -> list[tuple[str, str]]:
    """What the health check reports, as (subject, detail): each day whose files are behind, and a folder
    no file can be written to. Reads, never writes."""
    root = archive_files_root()
    if root is None:
        return []
    problems = []
    folder = root if root.exists() else root.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        problems.append(("", f"DIGEST_STATIC_ARCHIVE_DIR {root}: this process cannot write there"))
    for date, failure in sorted(failures_read(root).items()):
        if not _waiting_less_than(failure, REPORT_AFTER):
            problems.append((date, f"files not up to date since {failure['since'][:16]}: {failure['error']}"))
    return problems


def _waiting_less_than(failure: dict, wait: dt.timedelta) -> bool:
    """A sync still in progress, recorded less than `wait` ago (a failure is never waiting)."""
    if failure.get("error") != IN_PROGRESS:
        return False
    try:
        return timezone.now() - dt.datetime.fromisoformat(failure["since"]) < wait
    except (KeyError, ValueError):
        return False


def day_sync(day: DigestDay, *, root: Path, renderer: PageRenderer | None = None) -> SyncCount:
    """The files a change of `day` touches, rendered again; the day's failure cleared once they are."""
    public_cache_clear(day)  # this process renders from the database, not from pages it kept
    try:
        render, remove = urls_of_day_change(day)
        count = urls_sync(render, root=root, renderer=renderer, remove=remove)
    except Exception as exc:
        _failures_change(root, day_key(day), f"{exc.__class__.__name__}: {exc}")
        raise
    _failures_change(root, day_key(day), None)
    return count


def archive_files_day_changed(day: DigestDay) -> None:
    """After a publish, unpublish or correction of `day` committed, in the publisher's process: the day is
    recorded as not yet in its files, a day readers may no longer see loses its page and its papers' pages
    at once (a paper still public elsewhere gets its page back from the sync), and the sync is queued for
    the workers (rendering a day's pages takes seconds at archive scale; a lost task stays recorded, and the
    sweep runs it again). Never raises: the change is made and the views serve every page."""
    root = archive_files_root()
    if root is None:
        return
    try:
        _failures_change(root, day_key(day), IN_PROGRESS)
        if not DigestDay.objects.public(day.digest).filter(pk=day.pk).exists():
            arxiv_ids = PublishedPaper.objects.filter(publication__day=day).values_list("arxiv_id", flat=True)
            for url in [*day_urls(day.digest, day.date), *paper_urls(day.digest, set(arxiv_ids))]:
                with writers_lock(root):
                    page_remove(file_of(root, url))
        async_task(DAY_TASK, day.pk, task_name=f"archive-files-{day.date:%Y-%m-%d}-{time.time_ns()}")
    except Exception:
        logger.exception("the archive's files of %s could not be brought up to date; the views serve its pages "
                         "and the sweep tries again", day.date)


def archive_files_day_sync(day_id: int) -> SyncCount | None:
    """The queued sync of one day (public.tasks.archive_files_day_task)."""
    root = archive_files_root()
    day = DigestDay.objects.filter(pk=day_id).first()
    if root is None or day is None:
        return None
    return day_sync(day, root=root)


@dataclass(frozen=True)
class ArchiveSweep:
    come_due: int  # days whose date came since they were published ahead, now written
    retried: int  # days whose last sync had failed, synced again
    still_failing: int

    def __str__(self) -> str:
        return (f"archive files: {self.come_due} day(s) come due written, {self.retried} retried, "
                f"{self.still_failing} still failing")


def archive_files_sweep(*, look_back_days: int = 7) -> ArchiveSweep:
    """Recent public days with no page file, synced (days published ahead whose date came: no file was
    written for them then, and the pages around them do not list them yet), and days whose last sync
    failed, synced again."""
    root = archive_files_root()
    if root is None:
        return ArchiveSweep(0, 0, 0)
    recent = (DigestDay.objects.public_in_every_digest()
              .filter(date__gte=current_digest_date() - dt.timedelta(days=look_back_days)).select_related("digest"))
    come_due = [day for day in recent.order_by("date")
                if not file_of(root, day_urls(day.digest, day.date)[0]).is_file()]
    retry, gone = _days_of_keys(key for key, failure in failures_read(root).items()
                                if key and not _waiting_less_than(failure, RETRY_AFTER))
    renderer = PageRenderer() if come_due or retry else None
    still_failing = 0
    for day in {day.pk: day for day in [*come_due, *retry]}.values():
        try:
            day_sync(day, root=root, renderer=renderer)
        except Exception:
            logger.exception("the archive's files of %s are still not up to date", day.date)
            still_failing += 1
    for key in gone:  # a day since deleted: nothing to sync
        _failures_change(root, key, None)
    return ArchiveSweep(come_due=len(come_due), retried=len(retry), still_failing=still_failing)


@dataclass(frozen=True)
class ArchiveRebuild:
    count: SyncCount
    strays_removed: int
    seconds: float

    def __str__(self) -> str:
        return f"archive files rebuilt: {self.count}, {self.strays_removed} stray file(s) removed, in {self.seconds:.1f} s"


def archive_files_rebuild(*, root: Path, progress: Callable[[], None] | None = None) -> ArchiveRebuild:
    """Every page of the archive rendered again, and every other file removed.

    A file left from before (a template that no longer makes a page, a day hidden while no sync ran) is
    removed only if it is older than the rebuild: a publish during the rebuild writes files the rebuild's
    list may not hold, and they stay.
    """
    started, started_at = time.perf_counter(), time.time()
    public_cache_clear()
    renderer = PageRenderer()
    wanted = set()

    def urls():
        for url in urls_of_archive():
            wanted.add(file_of(root, url))
            yield url
    count = urls_sync(urls(), root=root, renderer=renderer, progress=progress)
    strays = 0
    for path in list(pages_on_disk(root)):
        with writers_lock(root):
            if path not in wanted and path.stat().st_mtime < started_at:
                strays += page_remove(path)
    with writers_lock(root):
        (root / FAILURES_FILE).unlink(missing_ok=True)  # every day's pages are as the database says
    return ArchiveRebuild(count=count, strays_removed=strays, seconds=time.perf_counter() - started)
