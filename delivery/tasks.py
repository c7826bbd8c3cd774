"""django-q2 tasks of the delivery app: thin, they call the channels."""

from delivery.schedule import deliveries_sweep
from delivery.sending import email_batch_send
from delivery.switch import delivery_hold
from delivery.webhooks import webhook_delivery_send


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
