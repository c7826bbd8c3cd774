from django.core.management.base import CommandError

from publishing.days.collection import CollectionError
from publishing.days.pipeline import run_daily
from publishing.management.options import (
    DayCommand,
    add_collect_arguments,
    add_digest_argument,
    parse_collect_options,
    parse_digests,
)


class Command(DayCommand):
    help = "The morning job: collect a day, then queue one background drafting task per entry (the schedule runs this)."

    def add_arguments(self, parser):
        add_collect_arguments(parser)
        add_digest_argument(parser)

    def handle(self, *args, date=None, source=None, files=(), backfill=False, digest_slugs=(), **options):
        digests = parse_digests(digest_slugs)
        digest_date, source, files = parse_collect_options(date=date, source=source, files=files, digest=digests[0])
        try:
            daily = run_daily(date=digest_date, digests=digests, source=source, files=files, backfill=backfill)
        except CollectionError as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        self.stdout.write(daily.summary)
