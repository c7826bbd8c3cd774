from django.core.management.base import BaseCommand, CommandError

from delivery.sending import email_deliveries_send_all
from publishing.models import Publication


class Command(BaseCommand):
    help = ("Send every email delivery that is due now (all day versions, or one), batch after batch, in this "
            "process: what the workers' tasks do, for the shell and the demo. Rows another worker holds are left "
            "to it until its lease runs out.")

    def add_arguments(self, parser):
        parser.add_argument("--publication", type=int, help="only this publication's deliveries (its id)")

    def handle(self, *args, publication, **options):
        if publication is not None and not Publication.objects.filter(pk=publication).exists():
            raise CommandError(f"no publication with id {publication}")
        result = email_deliveries_send_all(publication_id=publication)
        self.stdout.write(f"email edition: {result}")
