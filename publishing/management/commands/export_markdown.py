from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from publishing.days.windows import parse_digest_date
from publishing.models import DigestDay
from publishing.posts.export import day_export_markdown, post_filename, write_post


class Command(BaseCommand):
    help = "Write days as Jekyll posts DIR/YYYY-MM-DD-arxiv.md, the same bytes as /days/YYYY-MM-DD.md."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--date", help="one digest date YYYY-MM-DD")
        which.add_argument("--from", dest="date_from", help="first date of a range (with --to)")
        which.add_argument("--all", action="store_true", help="every day")
        parser.add_argument("--to", dest="date_to", help="last date of the range")
        parser.add_argument("--out", required=True, help="folder to write the posts into (created if missing)")
        parser.add_argument("--include-unpublished", action="store_true",
                            help="also days not published yet: their approved entries only")

    def _days(self, date, date_from, date_to, all_days):
        try:
            if date:
                return DigestDay.objects.filter(date=parse_digest_date(date))
            if date_from:
                if not date_to:
                    raise CommandError("--from needs --to")
                first, last = parse_digest_date(date_from), parse_digest_date(date_to)
                if first > last:
                    raise CommandError(f"--from {first} is after --to {last}")
                return DigestDay.objects.filter(date__range=(first, last))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if date_to:
            raise CommandError("--to goes with --from")
        return DigestDay.objects.all()

    def handle(self, *args, date, date_from, date_to, all, out, include_unpublished, **options):
        days = self._days(date, date_from, date_to, all).select_related("live_publication").order_by("date")
        total = days.count()
        if date and not total:
            raise CommandError(f"no digest day {date}")
        directory = Path(out)
        written = unchanged = skipped = 0
        first_date = None
        # A few days' posts in memory at a time, not the whole archive's (--all is gigabytes).
        for day in tqdm(days.iterator(chunk_size=20), total=total, desc="export", unit="day", disable=total < 2,
                        file=self.stderr):
            first_date = first_date or day.date
            markdown = day_export_markdown(day, include_unpublished=include_unpublished)
            if markdown is None:
                skipped += 1
                continue
            if write_post(directory, day.date, markdown):
                written += 1
            else:
                unchanged += 1
        if date and skipped:
            hint = "" if include_unpublished else " (--include-unpublished exports its approved entries)"
            raise CommandError(f"{date} is not published and has nothing to export{hint}")
        example = f", e.g. {directory / post_filename(first_date)}" if first_date and (written or unchanged) else ""
        self.stdout.write(
            f"exported {written + unchanged} days to {directory}: {written} written, {unchanged} unchanged, "
            f"{skipped} skipped ({'nothing approved' if include_unpublished else 'not published'}){example}"
        )
