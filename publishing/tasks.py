"""django-q2 tasks of the publishing app: thin, they call the pipeline."""

from publishing.days.pipeline import run_daily_scheduled
from publishing.days.schedule import morning_group, morning_schedule_realign
from publishing.days.services import acting_as
from publishing.days.windows import parse_digest_date
from publishing.posts.scheduling import scheduled_publication_run
from publishing.posts.sweep import publishing_sweep


def run_daily_task(date: str | None = None, attempt: str | int = 1, anchor: str | None = None,
                   time_zone: str | None = None) -> str:
    """The scheduled morning job of the digests whose day ends at `anchor` in `time_zone` (none: the first
    digest's), for `date` (none: today's in that zone), or its retry number `attempt`. A failed fetch is
    recorded and tried again later (publishing.days.pipeline.run_daily_scheduled)."""
    group = morning_group(anchor, time_zone)
    digest_date = parse_digest_date(date, tz=group.tz)
    if date is None:
        morning_schedule_realign(group)
    with acting_as("run_daily (schedule)"):
        return run_daily_scheduled(date=digest_date, attempt=int(attempt), group=group)


def scheduled_publication_task(scheduled_id: str | int) -> str:
    """A chief editor's publication at a chosen time (one Schedule each, run once)."""
    scheduled = scheduled_publication_run(scheduled_id=int(scheduled_id))
    return "skipped (finished, cancelled or held by another run)" if scheduled is None else f"{scheduled.status}: {scheduled.outcome}"


def publishing_sweep_task() -> str:
    """Every few minutes (install_schedule): finish the scheduled publications and posts no run finished."""
    return str(publishing_sweep())

