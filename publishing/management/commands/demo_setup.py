from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from publishing.days.windows import parse_digest_date
from publishing.models import DigestDay

DEMO_DATE = "2026-01-09"
DEMO_FOLDER = Path(settings.BASE_DIR) / "demo"
STARTER_GLOSSARY = Path(settings.BASE_DIR) / "translations" / "data" / "glossary-speech-audio.csv"


class Command(BaseCommand):
    help = ("The demo's steps before serving, each skipped when done: the admin account, the starter glossary, collecting the demo day, "
            "its drafts, approving and publishing it, its status, the exported post. Run it again at will. "
            "Development only.")

    def add_arguments(self, parser):
        parser.add_argument("--date", default=DEMO_DATE, help=f"the demo day (default {DEMO_DATE})")
        parser.add_argument("--username", default="admin", help="the demo's superuser (default admin)")
        parser.add_argument("--out", help="folder for the exported post (default: export/ in DIGEST_VAR_DIR)")

    def handle(self, *args, date, username, out, **options):
        if not settings.DEBUG:
            raise CommandError("demo_setup approves and publishes without reading; it only runs with DEBUG=1")
        out = out or str(Path(settings.VAR_DIR) / "export")
        feed = DEMO_FOLDER / f"arxiv-api-demo-{date}.xml"
        drafts = DEMO_FOLDER / f"drafts-{date}.json"
        self._step("the admin account")
        self._run("demo_admin", "--username", username)
        # Before drafting, so the demo's drafts are written and checked with the glossary.
        self._step(f"the starter glossary from {STARTER_GLOSSARY.relative_to(settings.BASE_DIR)}")
        self._run("import_glossary", str(STARTER_GLOSSARY))

        try:
            digest_date = parse_digest_date(date)
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        published = (
            DigestDay.objects.filter(date=digest_date, live_publication__isnull=False)
            .select_related("live_publication")
            .first()
        )
        if published:
            # Collecting a published day is refused, and drafting and publishing it again would change nothing.
            self._step(f"{date} is already published (version {published.live_publication.version}): "
                       "skipping collecting, drafting, approving and publishing")
        else:
            self._step(f"collecting the demo day {date} from {feed.relative_to(settings.BASE_DIR)}")
            self._run("fetch_papers", "--date", date, "--file", str(feed))
            if settings.DIGEST_LLM_MODEL:
                self._step(f"drafting with {settings.DIGEST_LLM_MODEL} at {settings.OPENAI_BASE_URL or 'OpenAI'}")
            else:
                self._step("no LLM configured (DIGEST_LLM_MODEL unset): loading the hand-written demo drafts")
                self._run("load_demo_drafts", "--file", str(drafts))
            self._run("translate_day", "--date", date, "--sync")
            self._step("approving the demo day (one entry left for you to review) and publishing it")
            self._run("demo_publish", "--date", date, "--username", username)
        self._run("digest_status", "--date", date)
        self._step(f"exporting the published day as a Jekyll post into {out}")
        self._run("export_markdown", "--date", date, "--out", out)

    def _step(self, what: str) -> None:
        self.stdout.write(f"==> {what}")

    def _run(self, *command: str) -> None:
        call_command(*command, stdout=self.stdout, stderr=self.stderr)
