"""Monitoring installs its Schedule when `install_schedule` runs (publishing's signal)."""

from django.dispatch import receiver

from monitoring.schedule import health_schedule_install
from publishing.signals import schedules_installing


@receiver(schedules_installing)
def install_the_health_evaluation(sender, now=None, **kwargs) -> str:
    schedule, created = health_schedule_install(now)
    return f"Schedule {schedule.name!r} {'installed' if created else 'updated'}: {schedule.func} every {schedule.minutes} minutes"
