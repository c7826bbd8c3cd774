from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from public.archive_files.pages import archive_url_count
from public.archive_files.services import ArchiveFilesError, archive_files_rebuild, archive_files_root, failures_read


class Command(BaseCommand):
    help = ("Render every public page that has a file (days, papers, categories and their feeds, the archive's "
            "first page, the feeds, the sitemaps' first pages) into DIGEST_STATIC_ARCHIVE_DIR again, and remove "
            "every other file there. Run after an upgrade whose templates or views changed.")

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (one summary line only)")

    def handle(self, *args, no_progress, **options):
        root = archive_files_root()
        if root is None:
            raise CommandError("DIGEST_STATIC_ARCHIVE_DIR is off: there are no files to build")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"DIGEST_STATIC_ARCHIVE_DIR {root}: cannot create the folder ({exc.strerror or exc})") from None
        with tqdm(total=archive_url_count(), desc="archive files", unit="page", disable=no_progress,
                  file=self.stderr) as bar:
            try:
                rebuilt = archive_files_rebuild(root=root, progress=bar.update)
            except ArchiveFilesError as exc:
                raise CommandError(f"some pages could not be rendered (their files were left as they were): {exc}") from None
        self.stdout.write(f"{rebuilt} in {root}")
        for date, failure in failures_read(root).items():
            self.stdout.write(f"still failing: {date or 'record'}: {failure['error']}")
