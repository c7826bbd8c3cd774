from django.core.management.base import CommandError

from publishing.days.collection import CollectionError
from publishing.days.pipeline import run_daily
from publishing.management.options import (
    DayCommand,
    add_collect_arguments,
    parse_collect_options,
)


class Command(DayCommand):
    help = "The morning job: collect a day, then queue one background drafting task per entry (the schedule runs this)."

    def add_arguments(self, parser):
        add_collect_arguments(parser)

    def handle(self, *args, date=None, source=None, files=(), backfill=False, **options):
        digest_date, source, files = parse_collect_options(date=date, source=source, files=files)
        try:
            daily = run_daily(date=digest_date, source=source, files=files, backfill=backfill)
        except CollectionError as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        self.stdout.write(daily.summary)
