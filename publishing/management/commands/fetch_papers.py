from django.core.management.base import CommandError
from tqdm import tqdm

from publishing.days.collection import CollectionError, day_collect
from publishing.management.options import (
    DayCommand,
    add_collect_arguments,
    add_digest_argument,
    parse_collect_options,
    parse_digests,
)


class Command(DayCommand):
    help = "Collect a digest day: fetch its papers from arXiv (or saved files) and add those no day holds yet."

    def add_arguments(self, parser):
        add_collect_arguments(parser)
        add_digest_argument(parser)

    def handle(self, *args, date=None, source=None, files=(), backfill=False, digest_slugs=(), **options):
        digests = parse_digests(digest_slugs)
        digest_date, source, files = parse_collect_options(date=date, source=source, files=files, digest=digests[0])

        show_progress = options["verbosity"] > 0
        bar = tqdm(desc=f"{digest_date} {source}", unit=" entries", disable=None if show_progress else True, leave=False)

        def progress(received: int, expected: int | None) -> None:
            if expected is not None and bar.total != expected:
                bar.total = expected
            bar.update(received - bar.n)

        try:
            collection = day_collect(date=digest_date, digests=digests, source=source, files=files, progress=progress,
                                     backfill=backfill)
        except CollectionError as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        finally:
            bar.close()
        self.stdout.write("\n".join(collection.summary_lines))
