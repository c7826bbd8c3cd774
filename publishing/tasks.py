"""django-q2 tasks of the publishing app: thin, they call the pipeline."""

from publishing.days.pipeline import run_daily_scheduled
from publishing.days.services import acting_as
from publishing.days.windows import parse_digest_date
from publishing.posts.scheduling import scheduled_publication_run
from publishing.posts.sweep import publishing_sweep


def run_daily_task(date: str | None = None, attempt: str | int = 1) -> str:
    """The scheduled morning job (no date: today's digest date), or its retry number `attempt` for `date`.
    A failed fetch is recorded and tried again later (publishing.days.pipeline.run_daily_scheduled)."""
    digest_date = parse_digest_date(date)
    with acting_as("run_daily (schedule)"):
        return run_daily_scheduled(date=digest_date, attempt=int(attempt))


def scheduled_publication_task(scheduled_id: str | int) -> str:
    """A chief editor's publication at a chosen time (one Schedule each, run once)."""
    scheduled = scheduled_publication_run(scheduled_id=int(scheduled_id))
    return "skipped (finished, cancelled or held by another run)" if scheduled is None else f"{scheduled.status}: {scheduled.outcome}"


def publishing_sweep_task() -> str:
    """Every few minutes (install_schedule): finish the scheduled publications and posts no run finished."""
    return str(publishing_sweep())

