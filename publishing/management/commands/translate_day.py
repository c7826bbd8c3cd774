from concurrent.futures import ThreadPoolExecutor, as_completed

from django.conf import settings
from django.core.management.base import CommandError
from django.db import close_old_connections
from tqdm import tqdm

from publishing.days.pipeline import day_check_drafting, day_start_drafting
from publishing.days.schedule import workers_status
from publishing.days.services import DayStateError
from publishing.management.options import DayCommand, collected_day
from translations.services import draft_run, drafts_recover_stuck


def _run_in_thread(draft_id: int):
    try:
        return draft_run(draft_id=draft_id)
    finally:
        close_old_connections()


def _drafted(drafts, workers: int):
    """Run the drafts, `workers` at a time, yielding each result as it finishes."""
    if workers == 1:  # in this thread (and this database connection)
        yield from (draft_run(draft_id=draft.pk) for draft in drafts)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from (future.result() for future in as_completed([pool.submit(_run_in_thread, d.pk) for d in drafts]))


class Command(DayCommand):
    help = "Draft a day's papers with the LLM: queue background tasks, or --sync to draft here with progress."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="digest date YYYY-MM-DD")
        parser.add_argument("--sync", action="store_true", help="draft in this process (DIGEST_LLM_CONCURRENCY at once)")
        parser.add_argument("--force", action="store_true", help="draft again papers that already have a draft")

    def handle(self, *args, date, sync, force, **options):
        day = collected_day(date)
        drafts_recover_stuck()  # what a dead worker left is handed out again, or failed with its reason
        try:
            start = day_start_drafting(day=day, force=force, enqueue=not sync)
        except DayStateError as exc:
            raise CommandError(str(exc)) from None
        if start.problem:
            raise CommandError(start.problem)
        if not sync:
            self.stdout.write(
                f"{day.date}: {start.queued} drafts queued, {start.active} already in progress, {start.done} already "
                "drafted; the qcluster workers will write them"
            )
            workers = workers_status()
            if start.drafts and workers.alive is False:
                self.stderr.write(f"WARNING: {workers.message}")
            return

        outcomes = {"succeeded": 0, "failed": 0, "skipped": 0}
        workers = settings.DIGEST_LLM_CONCURRENCY
        with tqdm(
            total=len(start.drafts), desc=f"{day.date} drafts", unit=" papers", disable=None if options["verbosity"] else True
        ) as bar:
            for draft in _drafted(start.drafts, workers):
                outcomes["skipped" if draft is None else draft.status] += 1
                bar.update(1)
        day = day_check_drafting(day=day)
        self.stdout.write(
            f"{day.date}: drafted {outcomes['succeeded']}, failed {outcomes['failed']}, skipped {outcomes['skipped']} "
            f"(claimed elsewhere), {start.done} already drafted; day is {day.status}"
        )
