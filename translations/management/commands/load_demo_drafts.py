import json

from django.core.management.base import BaseCommand, CommandError

from papers.models import Paper
from translations.services import draft_record_demo


class Command(BaseCommand):
    help = "Load hand-written demo drafts (demo/drafts-*.json) for papers that have no draft; marked as demo data."

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, help="a JSON file {'drafts': {arxiv_id: {title_zh, abstract_zh, background, method, results}}}")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8") as demo_file:
                drafts = json.load(demo_file)["drafts"]
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read demo drafts from {file}: {exc}") from None
        papers = Paper.objects.in_bulk(list(drafts), field_name="arxiv_id")
        loaded = sum(
            draft_record_demo(paper=papers[arxiv_id], fields=fields) is not None
            for arxiv_id, fields in drafts.items()
            if arxiv_id in papers
        )
        missing = len(drafts) - len(papers)
        self.stdout.write(f"Demo drafts: {loaded} loaded, {len(papers) - loaded} already drafted, {missing} papers not collected")
