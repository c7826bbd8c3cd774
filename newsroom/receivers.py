"""The newsroom listens to publishing: a day's moves (ready for review, flagged) and publishing's sweep."""

from newsroom.notification_events import day_moved_notify, notifications_sweep


def day_status_changed_notify(sender, *, transition_id: int, **kwargs) -> None:
    day_moved_notify(transition_id=transition_id)


def publishing_swept_notify(sender, *, now, **kwargs) -> str:
    return notifications_sweep(now=now)
