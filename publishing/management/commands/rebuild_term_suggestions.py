from django.core.management.base import BaseCommand

from publishing.models import Entry
from translations.models import SuggestedTerm
from translations.suggestions import corrections_rebuild


class Command(BaseCommand):
    help = ("Find the editors' term corrections of every approved entry again and bring the suggested terms "
            "in line (they are kept up to date on each approval; run this after changing how they are found). "
            "Accepted and dismissed suggestions keep their decision.")

    def handle(self, *args, **options):
        approved = (
            Entry.objects.filter(state=Entry.State.APPROVED, approved_revision__isnull=False)
            .select_related("paper", "approved_revision")
        )
        # A paper may sit in several days; its latest approved text counts once.
        texts = {}
        for entry in approved.order_by("approved_at"):
            texts[entry.paper_id] = (entry.paper, entry.approved_revision)
        found = corrections_rebuild(approved=texts.values())
        pending = SuggestedTerm.objects.filter(status=SuggestedTerm.Status.PENDING).count()
        self.stdout.write(f"term suggestions: {len(texts)} approved texts read, {found} corrections found, "
                          f"{pending} suggestions pending")
