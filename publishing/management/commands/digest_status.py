import json

from django.core.management.base import BaseCommand

from publishing.days.status import day_status
from publishing.management.options import (
    add_digest_argument,
    date_option,
    digest_label,
    parse_digests,
    several_digests,
)
from translations.services import drafts_recover_stuck


class Command(BaseCommand):
    help = ("Describe a digest day: its window, counts and pipeline state (every digest's, or --digest's; each "
            "digest's today by default, in its own time zone).")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="digest date YYYY-MM-DD (default: today's)")
        parser.add_argument("--json", action="store_true",
                            help="print one JSON object (a JSON array of them for several digests)")
        add_digest_argument(parser)

    def handle(self, *args, date=None, digest_slugs=(), **options):
        digests = parse_digests(digest_slugs)
        dates = [date_option(date, digest) for digest in digests]  # refused before anything is changed
        drafts_recover_stuck()  # so the counts say what is really stuck
        statuses = [day_status(digest_date, digest) for digest, digest_date in zip(digests, dates)]
        if options["json"]:
            # One digest (the only one, or one --digest): the object scripts read before digests, plus "digest".
            self.stdout.write(json.dumps(statuses[0] if len(statuses) == 1 else statuses, ensure_ascii=False))
            return
        several = several_digests()
        for digest, status in zip(digests, statuses):
            label = digest_label(digest, len(statuses) > 1)
            for key, value in status.items():
                if key == "digest" and not several:
                    continue
                if isinstance(value, dict):
                    value = ", ".join(f"{name} {item}" for name, item in value.items() if item is not None) or "—"
                self.stdout.write(f"{label}{key:>17}: {'—' if value is None else value}")
