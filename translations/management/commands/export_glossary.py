from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from translations.glossary_files import write_csv, write_tbx
from translations.models import GlossaryTerm


class Command(BaseCommand):
    help = "Export the glossary as CSV or TBX, to a file or to standard output."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "tbx"], help="default: from --out's extension, else csv")
        parser.add_argument("--out", help="the file to write (default: standard output)")
        parser.add_argument("--category", help="only the terms of this category")

    def handle(self, *args, format, out, category, **options):
        file_format = format or (Path(out).suffix.lstrip(".").lower() if out else "csv")
        if file_format not in ("csv", "tbx"):
            raise CommandError(f"--out {out}: give --format csv or tbx")
        terms = GlossaryTerm.objects.order_by("term")
        if category:
            terms = terms.filter(category=category)
        content = write_csv(terms).encode("utf-8") if file_format == "csv" else write_tbx(terms)
        if out:
            try:
                Path(out).write_bytes(content)
            except OSError as exc:
                raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
            self.stderr.write(f"glossary export: {terms.count()} terms written to {out} ({file_format})")
        else:
            self.stdout.write(content.decode("utf-8"), ending="")
