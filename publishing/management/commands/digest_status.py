import json

from django.core.management.base import BaseCommand, CommandError

from publishing.days.status import day_status
from publishing.days.windows import parse_digest_date
from translations.services import drafts_recover_stuck


class Command(BaseCommand):
    help = "Describe a digest day: its window, counts and pipeline state."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="digest date YYYY-MM-DD (default: today's)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, date=None, **options):
        try:
            digest_date = parse_digest_date(date)
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        drafts_recover_stuck()  # so the counts say what is really stuck
        status = day_status(digest_date)
        if options["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False))
            return
        for key, value in status.items():
            if isinstance(value, dict):
                value = ", ".join(f"{name} {item}" for name, item in value.items() if item is not None) or "—"
            self.stdout.write(f"{key:>17}: {'—' if value is None else value}")
