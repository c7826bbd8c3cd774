"""django-q2 tasks of the public site: thin, they call a service. The path is an interface (saved Schedules)."""

from public.archive_files.services import archive_files_day_sync, archive_files_sweep


def archive_files_day_task(day_id: int) -> str:
    """Bring the archive's files up to date after a change of the day (queued by public/receivers.py)."""
    return str(archive_files_day_sync(day_id))


def archive_files_sweep_task() -> str:
    """Write the files of days whose date came; sync again the days whose last sync failed."""
    return str(archive_files_sweep())
