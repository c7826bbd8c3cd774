import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from publishing.management.options import (
    DayCommand,
    add_digest_argument,
    collected_day,
    digest_label,
    one_digest,
    several_digests,
)
from publishing.posts.preview import publication_preview
from publishing.posts.publication import PublishError, day_publish, day_unpublish


class Command(DayCommand):
    help = "Publish a day's approved entries as a new version of its post (or --unpublish it)."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="digest date YYYY-MM-DD")
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--approved-only", action="store_true",
                          help="publish although some entries are still awaiting a draft or in review")
        what.add_argument("--unpublish", action="store_true", help="hide the day from readers instead")
        parser.add_argument("--user", help="the chief editor's user name to record (default: the shell login)")
        parser.add_argument("--yes", action="store_true",
                            help="do not ask for confirmation at a terminal (scripts never are asked)")
        # Publishing is a public act: with several digests it names its digest.
        add_digest_argument(parser, default="the only digest; required when there are several")

    def _confirm(self, question: str, summary: list[str], yes: bool) -> None:
        """At a terminal, show what readers will get and ask; elsewhere (scripts, schedules) go ahead."""
        if yes or not sys.stdin.isatty():
            return
        for line in summary:
            self.stdout.write(line)
        if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
            raise CommandError("not confirmed; nothing changed")

    def _publish_summary(self, day, approved_only: bool, label: str) -> tuple[list[str], str]:
        preview = publication_preview(day=day, approved_only=approved_only)
        if preview.problem:
            raise CommandError(f"{label}{preview.problem}")
        lines = [f"{label}{day.date}: readers see " + (f"version {preview.live_version}" if preview.live_version else "nothing yet")
                 + "; publishing makes " + (f"version {preview.new_version}" if preview.new_version else "no new version")
                 + f" with {preview.paper_count} papers: {len(preview.added)} added, {len(preview.removed)} removed, "
                 f"{len(preview.changed)} changed, {preview.unchanged} unchanged"]
        for change in preview.changes:
            fields = ", ".join(str(label) for label, _ in change.diffs)
            lines.append(f"{label}  {change.kind:8} {change.arxiv_id} {change.title[:70]}" + (f" ({fields})" if fields else ""))
        return lines, preview.content_hash

    def handle(self, *args, date, approved_only, unpublish, user, yes, digest_slugs=(), **options):
        digest = one_digest(digest_slugs)
        day = collected_day(date, digest)
        label = digest_label(digest, several_digests())
        publisher = None
        if user:
            try:
                publisher = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"--user: no user named {user!r}") from None
        try:
            if unpublish:
                live = f"version {day.live_publication.version}" if day.live_publication_id else "nothing"
                self._confirm("Unpublish?", [f"{label}{day.date}: readers see {live}; unpublishing hides the day"], yes)
                day_unpublish(day=day, user=publisher)
                self.stdout.write(f"{label}{date}: unpublished; readers no longer see it (its versions are kept)")
                return
            summary, content_hash = self._publish_summary(day, approved_only, label)
            self._confirm("Publish?", summary, yes)
            result = day_publish(day=day, user=publisher, approved_only=approved_only, expected_hash=content_hash)
        except (PublishError, PermissionDenied) as exc:
            raise CommandError(f"{label}{exc}") from None
        publication = result.publication
        if result.created:
            what = f"published version {publication.version}"
        elif result.went_live:
            what = f"published again as version {publication.version} (unchanged text, no new version)"
        else:
            what = f"already published as version {publication.version}; nothing changed"
        # The first digest keeps the site's addresses; another's live under /d/<slug>/.
        page = f"/days/{date}/" if digest.is_home else f"/d/{digest.slug}/days/{date}/"
        self.stdout.write(f"{label}{date}: {what} — {publication.paper_count} papers, {page}")
