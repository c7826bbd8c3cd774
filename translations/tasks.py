"""django-q2 tasks of the translations app: take an id, call the service."""

from translations.services import draft_run, drafts_recover_stuck


def draft_task(draft_id: int) -> str:
    draft = draft_run(draft_id=draft_id)
    return "skipped (claimed elsewhere or finished)" if draft is None else f"draft #{draft_id} {draft.status}"


def drafts_watchdog_task() -> str:
    """Every few minutes (install_schedule): recover or fail drafts no worker finished. It runs in a
    worker, so a worker is alive: a draft whose task went missing is handed out again, never failed
    for want of one."""
    return drafts_recover_stuck(in_worker=True).summary
