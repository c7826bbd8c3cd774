from django.core.management.base import BaseCommand, no_translations

from delivery.switch import delivery_disable, delivery_hold
from publishing.days.services import shell_login


class Command(BaseCommand):
    help = ("Switch delivery off for every instance of this database: no mail to readers and no webhook call until "
            "`enable_delivery` runs on the instance that should deliver. Deliveries wait, pending; none is lost.")

    @no_translations  # one line in English, whatever LANGUAGE_CODE, like the logs
    def handle(self, *args, **options):
        switch = delivery_disable(by=shell_login())
        if switch is None:
            self.stdout.write(f"nothing to do: {delivery_hold().reason}")
            return
        self.stdout.write("delivery switched off: no instance mails or calls webhooks from this database until "
                          "`manage.py enable_delivery` runs on the one that should")
