from django.core.management.base import BaseCommand

from publishing.days.schedule import morning_schedules_install, watchdog_schedule_install
from publishing.posts.sweep import publishing_sweep_schedule_install
from publishing.signals import schedules_installing


class Command(BaseCommand):
    help = ("Create or update the django-q2 Schedules (idempotent): run_daily at each digest anchor (one job per "
            "anchor and time zone; a job no digest needs any more is deleted), the drafts' "
            "watchdog and publishing's sweep every DIGEST_WATCHDOG_MINUTES, and the other apps' own (delivery's sweep).")

    def handle(self, *args, **options):
        mornings, removed = morning_schedules_install()
        for schedule, created in mornings:
            verb = "installed" if created else "updated"
            self.stdout.write(f"Schedule {schedule.name!r} {verb}: {schedule.func} daily, next run "
                              f"{schedule.next_run.isoformat()}")
        for name in removed:
            self.stdout.write(f"Schedule {name!r} deleted: no digest's day ends at its time any more")
        watchdog, created = watchdog_schedule_install()
        verb = "installed" if created else "updated"
        self.stdout.write(f"Schedule {watchdog.name!r} {verb}: {watchdog.func} every {watchdog.minutes} minutes")
        sweep, created = publishing_sweep_schedule_install()
        verb = "installed" if created else "updated"
        self.stdout.write(f"Schedule {sweep.name!r} {verb}: {sweep.func} every {sweep.minutes} minutes")
        for _receiver, line in schedules_installing.send(sender=self.__class__):
            self.stdout.write(line)
