from django.core.management.base import BaseCommand, CommandError

from papers.sources import FileTooLarge, file_read_limited
from translations.memory import memory_import_units
from translations.tmx import TMXError, tmx_read

# A memory of a million segments is far below this; a larger file is a mistake (or /dev/zero).
MAX_TMX_BYTES = 500_000_000


class Command(BaseCommand):
    help = ("Import a TMX file into the translation memory (English → Chinese units). Idempotent: a pair "
            "already in the memory is not added again. A file that cannot be read changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="a TMX 1.4 file with English (en) and Chinese (zh…) segments")

    def handle(self, *args, file, **options):
        try:
            content = file_read_limited(file, limit=MAX_TMX_BYTES)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
        except FileTooLarge as exc:
            raise CommandError(f"{exc}; not a translation memory") from None
        try:
            read = tmx_read(content, name=file.rsplit("/", 1)[-1])
        except TMXError as exc:
            raise CommandError(f"{file}: {exc}; nothing imported") from None

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"  {done}/{total} units")

        new = memory_import_units(pairs=read.pairs, progress=progress if len(read.pairs) > 1000 else None)
        self.stdout.write(
            f"Translation memory: {new} units imported, {len(read.pairs) - new} already held, "
            f"{read.skipped} skipped (no English or no Chinese segment) from {file}"
        )
