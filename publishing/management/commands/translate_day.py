from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.conf import settings
from django.core.management.base import CommandError
from django.db import close_old_connections
from tqdm import tqdm

from publishing.days.pipeline import day_check_drafting, day_start_drafting
from publishing.days.schedule import workers_status
from publishing.days.services import DayStateError
from publishing.management.options import (
    DayCommand,
    add_digest_argument,
    collected_days,
    digest_label,
    parse_digests,
    several_digests,
)
from translations.services import draft_run, drafts_recover_stuck


def _run_in_thread(draft_id: int):
    try:
        return draft_run(draft_id=draft_id)
    finally:
        close_old_connections()


def _drafted(drafts, workers: int):
    """Run the drafts, `workers` at a time, yielding (draft id, result) as each finishes."""
    if workers == 1:  # in this thread (and this database connection)
        yield from ((draft.pk, draft_run(draft_id=draft.pk)) for draft in drafts)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run_in_thread, draft.pk): draft.pk for draft in drafts}
        yield from ((futures[future], future.result()) for future in as_completed(futures))


class Command(DayCommand):
    help = ("Draft a day's papers with the LLM (every digest's day of the date, or --digest's): queue background "
            "tasks, or --sync to draft here with progress. A paper two digests hold is drafted once.")

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="digest date YYYY-MM-DD")
        parser.add_argument("--sync", action="store_true", help="draft in this process (DIGEST_LLM_CONCURRENCY at once)")
        parser.add_argument("--force", action="store_true", help="draft again papers that already have a draft")
        add_digest_argument(parser, default="every digest whose day is collected")

    def handle(self, *args, date, sync, force, digest_slugs=(), **options):
        several = several_digests()
        days, uncollected = collected_days(date, parse_digests(digest_slugs), named=bool(digest_slugs))
        drafts_recover_stuck()  # what a dead worker left is handed out again, or failed with its reason
        for digest in uncollected:
            self.stdout.write(f"{digest_label(digest, several)}{date}: not collected; nothing to draft")
        starts = {}
        for day in days:
            label = digest_label(day.digest, several)
            try:
                start = day_start_drafting(day=day, force=force, enqueue=not sync)
            except DayStateError as exc:
                if len(days) == 1:
                    raise CommandError(str(exc)) from None
                self.stdout.write(f"{label}left alone: {exc}")  # the other digests' days are drafted
                continue
            if start.problem:
                raise CommandError(f"{label}{start.problem}")
            starts[day] = start
        if not sync:
            for day, start in starts.items():
                self.stdout.write(
                    f"{digest_label(day.digest, several)}{day.date}: {start.queued} drafts queued, {start.active} "
                    f"already in progress, {start.done} already drafted; the qcluster workers will write them"
                )
            workers = workers_status()
            if any(start.drafts for start in starts.values()) and workers.alive is False:
                self.stderr.write(f"WARNING: {workers.message}")
            return

        # A paper two digests hold has one draft: it is run once, and counts in each day.
        drafts = list({draft.pk: draft for start in starts.values() for draft in start.drafts}.values())
        outcomes = {}
        with tqdm(total=len(drafts), desc=f"{date} drafts", unit=" papers",
                  disable=None if options["verbosity"] else True) as bar:
            for draft_id, draft in _drafted(drafts, settings.DIGEST_LLM_CONCURRENCY):
                outcomes[draft_id] = "skipped" if draft is None else draft.status
                bar.update(1)
        for day, start in starts.items():
            counts = Counter(outcomes[draft.pk] for draft in start.drafts)
            day = day_check_drafting(day=day)
            self.stdout.write(
                f"{digest_label(day.digest, several)}{day.date}: drafted {counts['succeeded']}, failed "
                f"{counts['failed']}, skipped {counts['skipped']} (claimed elsewhere), {start.done} already drafted; "
                f"day is {day.status}"
            )
