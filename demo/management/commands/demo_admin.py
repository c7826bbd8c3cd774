import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Create the demo superuser and print its password; an existing one is reused as it is "
            "(--reset-password gives it a new one). Development only.")

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--reset-password", action="store_true", help="give an existing account a new password")

    def handle(self, *args, username, reset_password, **options):
        if not settings.DEBUG:
            raise CommandError("demo_admin makes a superuser with a printed password; it only runs with DEBUG=1")
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        if not (created or reset_password):
            # A second run of the demo must not change the password someone is logged in with.
            user.save()
            self.stdout.write(
                f"Admin account {username!r} exists: reusing it, its password unchanged "
                f"(a new one: manage.py demo_admin --username {username} --reset-password)"
            )
            return
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        verb = "created" if created else "given a new password"
        self.stdout.write(f"Admin account {verb}: username {username!r}, password {password!r}")
