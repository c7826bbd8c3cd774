"""The public site listens to publishing (never the other way round)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from digest_site.health_signals import archive_files_health_asked
from digests.models import Digest
from public.archive_files.schedule import archive_files_schedule_install
from public.archive_files.services import archive_files_day_changed, archive_files_problems
from public.digest_scope import public_digests_forget
from public.page_cache import public_cache_clear
from publishing.signals import day_publication_changed, schedules_installing


@receiver(day_publication_changed)
def public_pages_follow_publication(sender, day, **kwargs) -> None:
    """Sent after the change committed: this process's cached pages go, then the archive's files follow (an
    unpublished day's files at once, the rest through a queued task; never raising, so the other receivers run)."""
    public_cache_clear(day)
    archive_files_day_changed(day)


@receiver(schedules_installing)
def install_the_archive_files_sweep(sender, now=None, **kwargs) -> str:
    schedule, created = archive_files_schedule_install(now)
    return f"Schedule {schedule.name!r} {'installed' if created else 'updated'}: {schedule.func} every {schedule.minutes} minutes"


@receiver(archive_files_health_asked)
def archive_files_health(sender, now=None, **kwargs) -> list[tuple[str, str]]:
    return archive_files_problems()


@receiver([post_save, post_delete], sender=Digest)
def public_pages_follow_digests(sender, **kwargs) -> None:
    """A digest added, renamed or removed: this process reads the digests again, and its cached pages (their
    headers name the digest, the root page lists them) go."""
    public_digests_forget()
    public_cache_clear()
