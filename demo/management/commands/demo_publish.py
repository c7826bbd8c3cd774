from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from digests.models import Digest
from publishing.management.options import DayCommand, add_digest_argument, collected_day, parse_digests
from publishing.models import Entry
from publishing.posts.publication import PublishError, day_publish
from publishing.review.services import ReviewError, entry_approve
from translations.models import Revision


class Command(DayCommand):
    help = ("Demo only: approve a day's entries in review as the demo admin, leaving the last one for you "
            "to review in the admin, and publish the approved ones. An entry whose text an editor changed "
            "is left in review for them. Development only.")

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True)
        parser.add_argument("--username", default="admin")
        parser.add_argument("--leave", type=int, default=1, help="entries to leave in review (default 1)")
        add_digest_argument(parser, default="the first digest")

    def handle(self, *args, date, username, leave, digest_slugs=(), **options):
        if not settings.DEBUG:
            raise CommandError("demo_publish approves without reading; it only runs with DEBUG=1")
        digest = parse_digests(digest_slugs)[0] if digest_slugs else Digest.objects.home()
        day = collected_day(date, digest)
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}; run demo_admin first") from None
        waiting = list(day.entries.filter(state=Entry.State.IN_REVIEW).order_by("position"))
        # A person's words are theirs to approve, not the demo's to approve unread.
        edited = set(Revision.objects.filter(paper__in=[entry.paper_id for entry in waiting], author__isnull=False)
                     .values_list("paper_id", flat=True))
        untouched = [entry for entry in waiting if entry.paper_id not in edited]
        for entry in untouched[:max(len(waiting) - leave, 0)]:
            try:
                entry_approve(entry=entry, user=user)
            except ReviewError as exc:
                self.stderr.write(str(exc))
        try:
            result = day_publish(day=day, user=user, approved_only=True)
        except PublishError as exc:
            raise CommandError(str(exc)) from None
        left = day.entries.filter(state=Entry.State.IN_REVIEW).count()
        edited_waiting = sum(entry.paper_id in edited for entry in waiting)
        self.stdout.write(
            f"{'' if digest.is_home else f'[{digest.slug}] '}{date}: published version {result.publication.version} with {result.publication.paper_count} "
            f"approved papers; {left} left in review for you"
            + (f" ({edited_waiting} with text an editor changed)" if edited_waiting else "")
        )
