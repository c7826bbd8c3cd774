from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from publishing.collection import CollectionError, day_collect
from publishing.windows import current_digest_date, parse_digest_date


class Command(BaseCommand):
    help = "Collect a digest day: fetch its papers from arXiv (or saved files) and add those no day holds yet."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="digest date YYYY-MM-DD (default: today's, in DIGEST_TIMEZONE)")
        parser.add_argument("--source", default=None, help="api (default) or rss")
        parser.add_argument(
            "--file", dest="files", action="append", nargs="+", default=[], metavar="PATH",
            help="read a saved API answer or RSS/Atom feed instead of the network (repeatable)",
        )

    def handle(self, *args, date=None, source=None, files=(), **options):
        files = [path for group in files for path in group]
        try:
            digest_date = parse_digest_date(date) if date else current_digest_date()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        if source is None:
            source = "file" if files else "api"
        elif files:
            raise CommandError("--file reads saved feeds; do not combine it with --source")

        show_progress = options["verbosity"] > 0
        bar = tqdm(desc=f"{digest_date} {source}", unit=" entries", disable=None if show_progress else True, leave=False)

        def progress(received: int, expected: int | None) -> None:
            if expected is not None and bar.total != expected:
                bar.total = expected
            bar.update(received - bar.n)

        try:
            result = day_collect(date=digest_date, source=source, files=files, progress=progress)
        except CollectionError as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        finally:
            bar.close()
        self.stdout.write(result.summary)
