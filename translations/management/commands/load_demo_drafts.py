import json

from django.core.management.base import BaseCommand, CommandError

from papers.models import Paper
from papers.sources import FileTooLarge, file_read_limited
from translations.services import draft_record_demo

# The demo's file is a few kilobytes; a larger one is not a demo file (and /dev/zero never ends).
MAX_DEMO_FILE_BYTES = 1_000_000
DRAFT_KEYS = ("title_zh", "abstract_zh", "background", "method", "results")


def _read_demo_drafts(file: str) -> dict[str, dict[str, str]]:
    """{arxiv_id: {title_zh, abstract_zh, background, method, results}}, or a one-line CommandError."""
    try:
        content = file_read_limited(file, limit=MAX_DEMO_FILE_BYTES)
    except OSError as exc:
        raise CommandError(f"cannot read demo drafts from {file}: {exc.strerror or exc}") from None
    except FileTooLarge as exc:
        raise CommandError(f"{exc}; not a demo drafts file") from None
    try:
        drafts = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CommandError(f"{file} is not UTF-8 JSON: {exc}") from None
    if not isinstance(drafts, dict) or not isinstance(drafts.get("drafts"), dict):
        raise CommandError(f'{file} must hold an object {{"drafts": {{arXiv id: draft}}}}')
    for arxiv_id, fields in drafts["drafts"].items():
        if not isinstance(fields, dict) or not all(isinstance(fields.get(key), str) for key in DRAFT_KEYS):
            raise CommandError(f"{file}: the draft of {arxiv_id} needs the texts {', '.join(DRAFT_KEYS)}")
    return drafts["drafts"]


class Command(BaseCommand):
    help = "Load hand-written demo drafts (demo/drafts-*.json) for papers that have no draft; marked as demo data."

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, help="a JSON file {'drafts': {arxiv_id: {title_zh, abstract_zh, background, method, results}}}")

    def handle(self, *args, file, **options):
        drafts = _read_demo_drafts(file)
        papers = Paper.objects.in_bulk(list(drafts), field_name="arxiv_id")
        loaded = sum(
            draft_record_demo(paper=papers[arxiv_id], fields=fields) is not None
            for arxiv_id, fields in drafts.items()
            if arxiv_id in papers
        )
        missing = len(drafts) - len(papers)
        self.stdout.write(f"Demo drafts: {loaded} loaded, {len(papers) - loaded} already drafted, {missing} papers not collected")
