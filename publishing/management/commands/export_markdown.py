import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from publishing.days.windows import parse_digest_date
from publishing.models import DigestDay
from publishing.posts.export import day_export_markdown, post_filename, write_post


def _date_option(option: str, text: str):
    try:
        return parse_digest_date(text)
    except ValueError as exc:
        raise CommandError(f"{option}: {exc}") from None


def _writable_directory(out: str) -> Path:
    """--out as a folder the posts can be written to (created if missing), or a one-line CommandError."""
    directory = Path(out)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CommandError(f"--out {out}: this is a file, not a folder; name a folder for the posts") from None
    except OSError as exc:
        raise CommandError(f"--out {out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CommandError(f"--out {out}: the folder is not writable by this user")
    return directory


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
        if date is not None:
            return DigestDay.objects.filter(date=_date_option("--date", date))
        if date_from is not None:
            if date_to is None:
                raise CommandError("--from needs --to")
            first, last = _date_option("--from", date_from), _date_option("--to", date_to)
            if first > last:
                raise CommandError(f"--from {first} is after --to {last}")
            return DigestDay.objects.filter(date__range=(first, last))
        if date_to is not None:
            raise CommandError("--to goes with --from")
        return DigestDay.objects.all()

    def handle(self, *args, date, date_from, date_to, all, out, include_unpublished, **options):
        days = self._days(date, date_from, date_to, all).select_related("live_publication").order_by("date")
        total = days.count()
        if date and not total:
            raise CommandError(f"no digest day {date}")
        directory = _writable_directory(out)
        written = unchanged = skipped = 0
        first_date = None  # of a day actually exported, named in the summary as an example
        # A few days' posts in memory at a time, not the whole archive's (--all is gigabytes).
        for day in tqdm(days.iterator(chunk_size=20), total=total, desc="export", unit="day", disable=total < 2,
                        file=self.stderr):
            markdown = day_export_markdown(day, include_unpublished=include_unpublished)
            if markdown is None:
                skipped += 1
                continue
            first_date = first_date or day.date
            if write_post(directory, day.date, markdown):
                written += 1
            else:
                unchanged += 1
        if date and skipped:
            hint = "" if include_unpublished else " (--include-unpublished exports its approved entries)"
            raise CommandError(f"{date} is not published and has nothing to export{hint}")
        example = f", e.g. {directory / post_filename(first_date)}" if first_date else ""
        self.stdout.write(
            f"exported {written + unchanged} days to {directory}: {written} written, {unchanged} unchanged, "
            f"{skipped} skipped ({'nothing approved' if include_unpublished else 'not published'}){example}"
        )
