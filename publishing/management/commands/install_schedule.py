from django.core.management.base import BaseCommand

from publishing.days.schedule import schedule_install


class Command(BaseCommand):
    help = "Create or update the daily django-q2 Schedule that runs run_daily at DIGEST_ANCHOR (idempotent)."

    def handle(self, *args, **options):
        schedule, created = schedule_install()
        verb = "installed" if created else "updated"
        self.stdout.write(f"Schedule {schedule.name!r} {verb}: {schedule.func} daily, next run {schedule.next_run.isoformat()}")
