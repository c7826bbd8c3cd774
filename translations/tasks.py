"""django-q2 tasks of the translations app: take an id, call the service."""

from translations.services import draft_run, drafts_recover_stuck


def draft_task(draft_id: int) -> str:
    draft = draft_run(draft_id=draft_id)
    if draft is None:
        return "skipped (claimed elsewhere, finished, or left for a worker that has its prompt version)"
    return f"draft #{draft_id} {draft.status}"


def drafts_watchdog_task() -> str:
    """Every few minutes (install_schedule): recover or fail drafts no worker finished. It runs in a
    worker, so a worker is alive: a draft whose task went missing is handed out again, never failed
    for want of one."""
    return drafts_recover_stuck(in_worker=True).summary
