from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from publishing.management.options import DayCommand, collected_day
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

    def handle(self, *args, date, approved_only, unpublish, user, **options):
        day = collected_day(date)
        publisher = None
        if user:
            try:
                publisher = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"--user: no user named {user!r}") from None
        try:
            if unpublish:
                day_unpublish(day=day, user=publisher)
                self.stdout.write(f"{date}: unpublished; readers no longer see it (its versions are kept)")
                return
            result = day_publish(day=day, user=publisher, approved_only=approved_only)
        except (PublishError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        publication = result.publication
        if result.created:
            what = f"published version {publication.version}"
        elif result.went_live:
            what = f"published again as version {publication.version} (unchanged text, no new version)"
        else:
            what = f"already published as version {publication.version}; nothing changed"
        self.stdout.write(f"{date}: {what} — {publication.paper_count} papers, /days/{date}/")
