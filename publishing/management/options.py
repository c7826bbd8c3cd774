"""What the commands share: the base class that names them in a day's history, which day, and
where its papers come from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.management.base import BaseCommand, CommandError

from digests.models import Digest
from publishing.days.services import acting_as, shell_login
from publishing.days.windows import parse_digest_date
from publishing.models import DigestDay


class DayCommand(BaseCommand):
    """A command whose day moves are recorded as its own: "fetch_papers (shell:ana)"."""

    def execute(self, *args, **options):
        with acting_as(f"{self.__module__.rsplit('.', 1)[-1]} ({shell_login()})"):
            return super().execute(*args, **options)


def add_collect_arguments(parser) -> None:
    parser.add_argument("--date", help="digest date YYYY-MM-DD (default: today's, in the digest's time zone)")
    parser.add_argument("--source", default=None, help="api (default) or rss")
    parser.add_argument(
        "--file", dest="files", action="append", nargs="+", default=[], metavar="PATH",
        help="read a saved API answer or RSS/Atom feed instead of the network (repeatable)",
    )
    parser.add_argument(
        "--backfill", action="store_true",
        help="take the look-back's papers announced before the archive began (a new archive's first day "
        "otherwise takes only the newest announcement it is owed)",
    )


def parse_collect_options(*, date: str | None, source: str | None, files, digest: Digest | None = None
                          ) -> tuple[dt.date, str, list[str]]:
    """(digest date, source, files), or a CommandError saying what is wrong. Without --date, today's in
    `digest`'s time zone (the first of the digests collected: one fetch collects one date for all)."""
    files = [path for group in files for path in group]
    digest_date = date_option(date, digest)
    if files and source:
        raise CommandError("--file reads saved feeds; do not combine it with --source")
    return digest_date, source or ("file" if files else "api"), files


def date_option(text: str | None, digest: Digest | None = None, *, option: str = "--date") -> dt.date:
    """A --date (None: today's) in the digest's time zone (the first digest's if none is named), or a
    one-line CommandError."""
    try:
        return parse_digest_date(text, tz=(digest or Digest.objects.home()).tz)
    except ValueError as exc:
        raise CommandError(f"{option}: {exc}") from None


def collected_day(date: str, digest: Digest | None = None) -> DigestDay:
    """The digest's (the first digest's if none is named) collected day named by a --date option, or a
    CommandError saying what to do."""
    digest = digest or Digest.objects.home()
    try:
        return DigestDay.objects.select_related("digest").get(date=date_option(date, digest), digest=digest)
    except DigestDay.DoesNotExist:
        hint = f" --digest {digest.slug}" if several_digests() else ""
        raise CommandError(f"no digest day {date}{f' for {digest.slug}' if hint else ''}: it has not been "
                           f"collected; run fetch_papers --date {date}{hint} first") from None


def collected_days(date: str, digests: Sequence[Digest], *, named: bool) -> tuple[list[DigestDay], list[Digest]]:
    """The digests' collected days of a --date, in the digests' order, and the digests that have none.

    A digest named with --digest (or the only one) must have its day (a CommandError says how to
    collect it); by default the digests that have one are taken, and none having one is an error."""
    if named or len(digests) == 1:
        return [collected_day(date, digest) for digest in digests], []
    days = {day.digest_id: day for day in DigestDay.objects.select_related("digest").filter(
        date=date_option(date, digests[0]), digest__in=digests)}
    if not days:
        raise CommandError(f"no digest day {date} for any digest: it has not been collected; "
                           f"run fetch_papers --date {date} first")
    return ([days[digest.pk] for digest in digests if digest.pk in days],
            [digest for digest in digests if digest.pk not in days])


def several_digests() -> bool:
    """Whether the installation has more than one digest: then each line of a command names its digest."""
    return Digest.objects.count() > 1


def digest_label(digest: Digest, several: bool) -> str:
    """The prefix of a command's line about one digest: "[nlp] " when there are several digests, else ""."""
    return f"[{digest.slug}] " if several else ""


def add_digest_argument(parser, *, default: str = "every digest") -> None:
    parser.add_argument(
        "--digest", dest="digest_slugs", action="append", default=[], metavar="SLUG",
        help=f"the digest (its slug; repeatable, or comma-separated; default: {default})",
    )


def parse_digests(slugs) -> list[Digest]:
    """The digests named by --digest (in the digests' order), or every digest if none is named; a
    CommandError names a slug that is not a digest's."""
    wanted = [slug.strip() for group in slugs for slug in group.split(",") if slug.strip()]
    digests = list(Digest.objects.all()) or [Digest.objects.home()]
    if not wanted:
        return digests
    by_slug = {digest.slug: digest for digest in digests}
    unknown = [slug for slug in wanted if slug not in by_slug]
    if unknown:
        raise CommandError(f"--digest: no digest {unknown[0]!r}; the digests are: {', '.join(by_slug)}")
    return [digest for digest in digests if digest.slug in wanted]


def one_digest(slugs) -> Digest:
    """The one digest --digest names; with none named, the only digest (or a CommandError asking which)."""
    digests = parse_digests(slugs)
    if len(digests) > 1:
        raise CommandError(f"name the digest: --digest {' or --digest '.join(digest.slug for digest in digests)}")
    return digests[0]
