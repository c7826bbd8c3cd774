from django.core.management.base import BaseCommand, no_translations

from delivery.schedule import deliveries_sweep
from delivery.switch import delivery_enable, delivery_hold
from publishing.days.services import shell_login


class Command(BaseCommand):
    help = ("Record this instance (DIGEST_INSTANCE) as the one that mails readers and calls webhooks from this "
            "database, and hand the deliveries that waited to the workers. Run it on production after restoring "
            "it or after the upgrade that brought the switch; on a copy (staging, a laptop) only when its mail "
            "server and endpoints are safe to reach. --status only says whether delivery is held here, and why.")

    def add_arguments(self, parser):
        parser.add_argument("--status", action="store_true", help="only show whether this instance delivers")

    @no_translations  # one line in English, whatever LANGUAGE_CODE, like the logs
    def handle(self, *args, status, **options):
        before = delivery_hold()
        if status or not before.held:
            self.stdout.write(str(before))
            return
        switch = delivery_enable(by=shell_login())
        if switch is None:  # another operator enabled it meanwhile
            self.stdout.write(str(delivery_hold()))
            return
        sweep = deliveries_sweep()  # the rows that waited go out now, not at the sweep's next run
        self.stdout.write(f"delivery enabled for this instance {switch.instance!r} (was held: {before.reason}); {sweep}")
