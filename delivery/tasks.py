"""django-q2 tasks of the delivery app: thin, they call the channels."""

from delivery.schedule import deliveries_sweep
from delivery.sending import email_batch_send
from delivery.subscribers import ConfirmationRequest, confirmation_mail_send
from delivery.switch import delivery_hold
from delivery.webhooks import webhook_delivery_send

# Names these tasks had before they moved here from publishing (1.0): a task a web process of that
# version queued still runs (digest_site/workers.py). Saved Schedules were renamed by migration 0001.
FORMER_NAMES = {
    "publishing.tasks.email_batch_task": "delivery.tasks.email_batch_task",
    "publishing.tasks.webhook_delivery_task": "delivery.tasks.webhook_delivery_task",
}


def webhook_delivery_task(delivery_id: str | int) -> str:
    """One try of announcing a published day to a webhook endpoint."""
    delivery = webhook_delivery_send(delivery_id=int(delivery_id))
    if delivery is None:
        hold = delivery_hold()
        return str(hold) if hold.held else "skipped (sent elsewhere or not pending)"
    return f"{delivery.status}: {delivery.error or 'ok'}"


def email_batch_task(publication_id: str | int) -> str:
    """One batch of a day version's email edition; it queues the next batch itself while any is due."""
    return str(email_batch_send(publication_id=int(publication_id)))


def deliveries_sweep_task() -> str:
    """The delivery's own schedule: days whose date has come, and due rows no task is carrying."""
    return str(deliveries_sweep())


def confirmation_mail_task(subscriber_id: int, categories_text: str, wants_corrections: bool, issued_at: str,
                           digest_ids=None) -> str:
    """A subscription request's confirmation mail (subscriber_subscribe queues it). A task queued before
    digests names none: its link subscribes to the first digest."""
    sent = confirmation_mail_send(request=ConfirmationRequest(
        subscriber_id=int(subscriber_id), categories_text=categories_text,
        wants_corrections=bool(wants_corrections), issued_at=issued_at,
        digest_ids=tuple(int(pk) for pk in digest_ids or ())))
    return "sent" if sent else "skipped (the subscriber is gone)"
