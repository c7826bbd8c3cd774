"""django-q2 tasks of the publishing app: thin, they call the pipeline."""

from publishing.channels.email import email_batch_send
from publishing.channels.webhooks import webhook_delivery_send
from publishing.days.pipeline import run_daily
from publishing.days.services import acting_as
from publishing.days.windows import parse_digest_date
from publishing.posts.scheduling import scheduled_publication_run


def run_daily_task(date: str | None = None) -> str:
    """The scheduled morning job. A failed fetch raises, so it shows among django-q2's failed tasks."""
    digest_date = parse_digest_date(date)
    with acting_as("run_daily (schedule)"):
        return run_daily(date=digest_date).summary


def scheduled_publication_task(scheduled_id: str | int) -> str:
    """A chief editor's publication at a chosen time (one Schedule each, run once)."""
    scheduled = scheduled_publication_run(scheduled_id=int(scheduled_id))
    return "skipped (cancelled or run elsewhere)" if scheduled is None else f"{scheduled.status}: {scheduled.outcome}"


def webhook_delivery_task(delivery_id: str | int) -> str:
    """One try of announcing a published day to a webhook endpoint."""
    delivery = webhook_delivery_send(delivery_id=int(delivery_id))
    return "skipped (sent elsewhere or not pending)" if delivery is None else f"{delivery.status}: {delivery.error or 'ok'}"


def email_batch_task(publication_id: str | int) -> str:
    """One batch of a day version's email edition; it queues the next batch itself while any is due."""
    return str(email_batch_send(publication_id=int(publication_id)))
