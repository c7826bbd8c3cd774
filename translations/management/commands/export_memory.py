from django.core.management.base import BaseCommand, CommandError

from translations.models import MemoryUnit
from translations.tmx import memory_to_tmx


class Command(BaseCommand):
    help = "Write the translation memory (or part of it) as a TMX 1.4 file."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the TMX file to write")
        parser.add_argument("--origin", choices=MemoryUnit.Origin.values, help="only approved or only imported units")
        parser.add_argument("--kind", choices=MemoryUnit.Kind.values, help="only titles or only abstract sentences")
        parser.add_argument("--include-held", action="store_true",
                            help="also the units approved over a check error and not yet confirmed")

    def handle(self, *args, out, origin, kind, include_held, **options):
        units = MemoryUnit.objects.select_related("paper").order_by("id")
        if not include_held:  # another tool would take them for approved translations
            units = units.reusable()
        if origin:
            units = units.filter(origin=origin)
        if kind:
            units = units.filter(kind=kind)
        content = memory_to_tmx(units.iterator(chunk_size=2000))
        try:
            with open(out, "wb") as file:
                file.write(content)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
        self.stdout.write(f"Translation memory: {units.count()} units exported to {out}")
