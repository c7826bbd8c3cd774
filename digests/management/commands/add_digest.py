import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from digests.models import Digest
from digests.services import digest_add, validation_line


def _comma_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class Command(BaseCommand):
    help = ("Add a digest: its own days, review, published posts, pages, feeds and readers, from the same "
            "fetch of arXiv as the other digests (a paper two digests share is translated once).")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="its address: /d/SLUG/ (lower-case letters, digits, hyphens)")
        parser.add_argument("--name", required=True, help="as readers and editors see it")
        parser.add_argument("--categories", required=True, help="arXiv categories, comma-separated: cs.CL,cs.AI")
        parser.add_argument("--title", help="post title with {date} (default: 'arXiv Daily – {date}')")
        parser.add_argument("--include", help="keywords, comma-separated: a paper must mention one")
        parser.add_argument("--exclude", help="keywords, comma-separated: a paper mentioning one is left out")
        parser.add_argument("--cross-lists", choices=[choice.value for choice in Digest.CrossLists],
                            help="include (default), primary_only or new_only")
        parser.add_argument("--anchor", help="the time its day ends, HH:MM (default: the first digest's)")
        parser.add_argument("--time-zone", help="e.g. Asia/Shanghai (default: the first digest's)")
        parser.add_argument("--export-dir", default="", help="a Jekyll site's _posts folder for its posts")
        parser.add_argument("--description", default="", help="a sentence or two for readers")

    def handle(self, *args, slug, name, categories, title, include, exclude, cross_lists, anchor, time_zone,
               export_dir, description, **options):
        try:
            anchor_time = dt.time.fromisoformat(anchor) if anchor else None
        except ValueError:
            raise CommandError(f"--anchor: {anchor!r} is not a time as HH:MM") from None
        try:
            digest = digest_add(slug=slug, name=name, categories=_comma_list(categories), title_pattern=title,
                                include_keywords=_comma_list(include), exclude_keywords=_comma_list(exclude),
                                cross_lists=cross_lists, anchor=anchor_time, time_zone=time_zone,
                                export_dir=export_dir, description=description)
        except ValidationError as exc:
            raise CommandError(f"{slug}: {validation_line(exc)}") from None
        self.stdout.write(
            f"Added digest {digest.slug!r} ({digest.name}): {', '.join(digest.categories)}; its day ends at "
            f"{digest.anchor:%H:%M} {digest.time_zone}; the next collection fetches for it too "
            f"(run_daily, or fetch_papers --digest {digest.slug})."
        )
