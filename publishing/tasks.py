"""django-q2 tasks of the publishing app: thin, they call the pipeline."""

from publishing.days.pipeline import run_daily
from publishing.days.services import acting_as
from publishing.days.windows import parse_digest_date


def run_daily_task(date: str | None = None) -> str:
    """The scheduled morning job. A failed fetch raises, so it shows among django-q2's failed tasks."""
    digest_date = parse_digest_date(date)
    with acting_as("run_daily (schedule)"):
        return run_daily(date=digest_date).summary
