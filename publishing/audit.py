"""The audit trail of editorial actions: an admin LogEntry per action, listed in the object's history."""

from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models


def audit_log(*, user, obj: models.Model, message: str) -> LogEntry | None:
    """Record that `user` did what `message` says to `obj`.

    Writes nothing for user None: the shell and the pipeline act without an account
    (a publication keeps the shell's login name itself).
    """
    if user is None:
        return None
    return LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message=message,
    )
