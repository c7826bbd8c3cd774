from django.core.management.base import BaseCommand, CommandError

from publishing.collection import CollectionError
from publishing.pipeline import run_daily
from publishing.windows import current_digest_date, parse_digest_date


class Command(BaseCommand):
    help = "The morning job: collect a day, then queue one background drafting task per entry (the schedule runs this)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="digest date YYYY-MM-DD (default: today's)")
        parser.add_argument("--source", default=None, help="api (default) or rss")
        parser.add_argument("--file", dest="files", action="append", nargs="+", default=[], metavar="PATH",
                            help="collect from saved feeds instead of the network")

    def handle(self, *args, date=None, source=None, files=(), **options):
        files = [path for group in files for path in group]
        try:
            digest_date = parse_digest_date(date) if date else current_digest_date()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        if files and source:
            raise CommandError("--file reads saved feeds; do not combine it with --source")
        try:
            daily = run_daily(date=digest_date, source=source or ("file" if files else "api"), files=files)
        except CollectionError as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        self.stdout.write(daily.summary)
