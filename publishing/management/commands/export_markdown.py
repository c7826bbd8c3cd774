from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from publishing.days.windows import parse_digest_date
from publishing.management.options import add_digest_argument, digest_label, parse_digests, several_digests
from publishing.models import DigestDay
from publishing.posts.export import day_export_markdown, post_filename, post_slug, write_post


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
    help = ("Write days as Jekyll posts DIR/YYYY-MM-DD-arxiv.md, the same bytes as /days/YYYY-MM-DD.md (every "
            "digest's, or --digest's; another digest than the first adds its slug: YYYY-MM-DD-arxiv-<slug>.md).")

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--date", help="one digest date YYYY-MM-DD")
        which.add_argument("--from", dest="date_from", help="first date of a range (with --to)")
        which.add_argument("--all", action="store_true", help="every day")
        parser.add_argument("--to", dest="date_to", help="last date of the range")
        parser.add_argument("--out", required=True, help="folder to write the posts into (created if missing)")
        parser.add_argument("--include-unpublished", action="store_true",
                            help="also days not published yet: their approved entries only")
        add_digest_argument(parser)

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

    def handle(self, *args, date, date_from, date_to, out, include_unpublished, digest_slugs=(), **options):
        days = self._days(date, date_from, date_to, options["all"])  # the dates are checked first
        digests = parse_digests(digest_slugs)
        days = days.filter(digest__in=digests)
        total = days.count()
        if date and not total:
            raise CommandError(f"no digest day {date}")
        directory = _writable_directory(out)
        several = several_digests()
        exports = []
        with tqdm(total=total, desc="export", unit="day", disable=total < 2, file=self.stderr) as bar:
            for digest in digests:
                exports.append(self._export_digest(digest, days.filter(digest=digest), directory,
                                                   include_unpublished, bar))
        if date and all(export.skipped == export.days for export in exports):
            hint = "" if include_unpublished else " (--include-unpublished exports its approved entries)"
            raise CommandError(f"{date} is not published and has nothing to export{hint}")
        why = "nothing approved" if include_unpublished else "not published"
        for digest, export in zip(digests, exports):
            if several and not export.days:
                continue  # a digest with no day in the range: nothing to say
            example = f", e.g. {directory / export.example}" if export.example else ""
            self.stdout.write(
                f"{digest_label(digest, several)}exported {export.written + export.unchanged} days to {directory}: "
                f"{export.written} written, {export.unchanged} unchanged, {export.skipped} skipped ({why}){example}"
            )

    def _export_digest(self, digest, days, directory: Path, include_unpublished: bool, bar) -> _DigestExport:
        export = _DigestExport()
        slug = post_slug(digest)
        # A few days' posts in memory at a time, not the whole archive's (--all is gigabytes).
        for day in days.select_related("live_publication", "digest").order_by("date").iterator(chunk_size=20):
            export.days += 1
            bar.update(1)
            markdown = day_export_markdown(day, include_unpublished=include_unpublished)
            if markdown is None:
                export.skipped += 1
                continue
            export.example = export.example or post_filename(day.date, slug)  # a day exported, named as an example
            if write_post(directory, day.date, markdown, slug=slug):
                export.written += 1
            else:
                export.unchanged += 1
        return export


@dataclass
class _DigestExport:
    """What the export did with one digest's days."""

    days: int = 0
    written: int = 0
    unchanged: int = 0
    skipped: int = 0
    example: str = ""
