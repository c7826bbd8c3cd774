from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from digests.models import Digest
from newsroom.team import ROLE_NAMES, SITE_ROLE, editor_add, set_password_url
from publishing.management.options import add_digest_argument, parse_digests


class Command(BaseCommand):
    help = ("Give a person an editorial role in digests (creating the account if needed) and print a one-time "
            "link on which they choose their password. Run it with the site's environment: the link is signed "
            "with its SECRET_KEY and starts with its DIGEST_SITE_URL.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLE_NAMES,
                            help="editor: review and approve; chief: also publish (each in the digests named); "
                                 "site: manage the digests and who works on which (every digest)")
        parser.add_argument("--email", help="the person's e-mail address (kept on the account)")
        add_digest_argument(parser, default="the first digest")

    def handle(self, *args, username, role, email, digest_slugs, **options):
        site_url_unset = settings.DIGEST_SITE_URL == settings.DIGEST_SITE_URL_DEFAULT
        if site_url_unset and not settings.DEBUG:
            # Checked before anything is written: a link to the development server is no use to anyone.
            raise CommandError(
                f"DIGEST_SITE_URL is not set, so the link would point at {settings.DIGEST_SITE_URL_DEFAULT}; run "
                "add_editor with the site's environment (e.g. honcho -e /etc/arxiv-digest/site.env run .venv/bin/python "
                "manage.py add_editor ...) or set DIGEST_SITE_URL=https://your.site"
            )
        if role == SITE_ROLE and digest_slugs:
            raise CommandError("--digest: a site editor sees every digest; name none")
        digests = parse_digests(digest_slugs) if digest_slugs else [Digest.objects.home()]
        try:
            added = editor_add(username=username, role=role, email=email, digests=digests)
        except ValidationError as exc:
            raise CommandError(f"{username}: {' '.join(' '.join(exc.messages).split())}") from None
        where = f" in {', '.join(digest.slug for digest in added.digests)}" if added.digests else ""
        if added.created:
            what = f"Created {username!r} as {added.role_group}{where}"
        else:
            what = f"{username!r} is now {added.role_group}{where}"
            if added.removed_groups:
                what += f" (no longer {', '.join(added.removed_groups)})"
            if added.user.has_usable_password():
                what += "; their password is unchanged"
        days = settings.PASSWORD_RESET_TIMEOUT // 86400
        self.stdout.write(f"{what}. Send them this link to set a password (valid {days} days, once):")
        self.stdout.write(set_password_url(added.user))
        if site_url_unset:
            self.stdout.write(f"(DIGEST_SITE_URL is not set: the link assumes the site at {settings.DIGEST_SITE_URL}.)")
