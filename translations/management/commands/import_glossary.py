from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from tqdm import tqdm

from digests.models import Digest
from papers.sources import FileTooLarge, file_read_limited
from translations.glossary import glossary_import
from translations.glossary_files import MAX_FILE_BYTES, GlossaryFileError, read_glossary_file


class Command(BaseCommand):
    help = ("Import glossary terms from a CSV or TBX file: new sources are created, known ones (any case) "
            "updated. Run it again at will. A file with a bad row changes nothing; the bad rows are listed.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (columns: source, kind, rendering, variants, forbidden, "
                                         "category, note) or .tbx file")
        parser.add_argument("--digest", metavar="SLUG", default="",
                            help="import into this digest's additions (default: the newsroom's glossary)")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")

    def handle(self, *args, **options):
        # The command speaks English, like the other commands (the admin's import page speaks the editor's language).
        with translation.override("en"):
            self._import(**options)

    def _import(self, *, file, dry_run, **options):
        digest = None
        if options["digest"]:
            digest = Digest.objects.filter(slug=options["digest"]).first()
            if digest is None:
                known = ", ".join(Digest.objects.values_list("slug", flat=True))
                raise CommandError(f"no digest {options['digest']!r} (the digests: {known})")
        try:
            rows = read_glossary_file(file, file_read_limited(file, limit=MAX_FILE_BYTES))
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
        except (FileTooLarge, GlossaryFileError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        show_progress = options["verbosity"] >= 1 and len(rows) > 200
        with tqdm(total=len(rows), desc="terms", unit=" terms", disable=None if show_progress else True,
                  leave=False, file=self.stderr) as bar:
            report = glossary_import(rows=rows, digest=digest, dry_run=dry_run, progress=lambda: bar.update(1))
        for line, source, why in report.refused:
            self.stderr.write(f"line {line}: {source or '(no source)'}: {why}")
        if dry_run and not report.refused:
            for change in report.changes:
                self.stdout.write(f"{'create' if change.created else 'change'} {change.source}: " + "; ".join(
                    f"{name} {after!r}" if change.created else f"{name} {before!r} -> {after!r}"
                    for name, before, after in change.fields))
        self.stdout.write(report.summary)
        if report.refused:
            raise CommandError(f"{len(report.refused)} rows refused; nothing changed")
