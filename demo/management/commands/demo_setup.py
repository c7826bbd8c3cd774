import json
import logging
import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_q.conf import Conf
from django_q.conf import logger as worker_log

from delivery.edition import email_edition_prepare
from delivery.models import Subscriber, WebhookDelivery, WebhookEndpoint
from delivery.sending import email_deliveries_send_all
from delivery.subscribers import confirmation_mail_send, subscriber_confirm, subscriber_subscribe
from delivery.switch import delivery_hold
from delivery.webhooks import publication_announce, webhook_delivery_send
from digests.models import Digest
from digests.services import digest_add
from publishing.days.windows import parse_digest_date
from publishing.models import DigestDay
from translations.glossary import glossary_import
from translations.glossary_files import read_glossary_file
from translations.models import GlossaryTerm

DEMO_DATE = "2026-01-09"
DEMO_FOLDER = Path(settings.BASE_DIR) / "demo"
STARTER_GLOSSARY = Path(settings.BASE_DIR) / "translations" / "data" / "glossary-speech-audio.csv"


DEMO_MEMORY = DEMO_FOLDER / "memory-demo.tmx"


def demo_memory_load(step, run) -> None:
    """The demo's small translation memory (close to sentences of the demo day, so its review pages
    offer matches); importing it again adds nothing."""
    step(f"loading the demo translation memory from {DEMO_MEMORY.relative_to(settings.BASE_DIR)}")
    run("import_memory", str(DEMO_MEMORY))


@contextmanager
def tasks_run_at_once() -> Iterator[None]:
    """The demo runs no worker: a task queued meanwhile (the publish's mail and webhook) runs at once, in
    this process, as a worker would. Queued instead, it would wait for the first worker started later
    and do again what the demo had done. The worker's lines about each task are not shown."""
    queued, worker_log_level = Conf.SYNC, worker_log.level
    Conf.SYNC = True
    worker_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        Conf.SYNC = queued
        worker_log.setLevel(worker_log_level)


DEMO_READER = "reader@example.org"
# Speech papers cross-listed to language and AI: a second digest that shares some of the first's papers.
DEMO_SECOND_DIGEST = ("speech-language", "Speech & Language", ["cs.CL", "cs.AI"],
                      "语音与语言处理交叉方向的每日新论文（cs.CL、cs.AI）")
DEMO_ENDPOINT = "demo receiver (127.0.0.1)"


class DemoWebhookReceiver:
    """A webhook receiver on 127.0.0.1 for as long as the demo command runs: it answers 200 and writes
    each request it gets (headers and JSON body) to a log file."""

    def __init__(self, log_path: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    shown = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
                except ValueError:
                    shown = body.decode(errors="replace")
                with receiver.log_path.open("a", encoding="utf-8") as log:
                    log.write(f"--- {timezone.now():%Y-%m-%d %H:%M:%S %Z} POST {self.path}\n")
                    log.writelines(f"{name}: {value}\n" for name, value in self.headers.items())
                    log.write(f"\n{shown}\n\n")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/demo-webhook"

    def __enter__(self) -> "DemoWebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Command(BaseCommand):
    help = ("The demo's steps before serving, each skipped when done: the admin account, the starter glossary, a "
            "demo reader subscribed to the email edition (confirmed through the mailed link), a webhook receiver on 127.0.0.1 for the "
            "command's run, a small translation memory, collecting the demo day, its drafts, approving and "
            "publishing it, announcing and mailing it, its status, the exported post. Run it again at "
            "will. Development only.")

    def add_arguments(self, parser):
        parser.add_argument("--date", default=DEMO_DATE, help=f"the demo day (default {DEMO_DATE})")
        parser.add_argument("--username", default="admin", help="the demo's superuser (default admin)")
        parser.add_argument("--out", help="folder for the exported post (default: export/ in DIGEST_VAR_DIR)")

    def handle(self, *args, date, username, out, **options):
        if not settings.DEBUG:
            raise CommandError("demo_setup approves and publishes without reading; it only runs with DEBUG=1")
        with tasks_run_at_once():
            self._setup(date, username, out or str(Path(settings.VAR_DIR) / "export"))

    def _setup(self, date: str, username: str, out: str) -> None:
        feed = DEMO_FOLDER / f"arxiv-api-demo-{date}.xml"
        drafts = DEMO_FOLDER / f"drafts-{date}.json"
        self._step("the admin account")
        self._run("demo_admin", "--username", username)
        # Before drafting, so the demo's drafts are written and checked with the glossary.
        self._starter_glossary()
        self._second_digest()
        self._demo_reader()
        with DemoWebhookReceiver(Path(settings.VAR_DIR) / "demo-webhook.log") as receiver:
            # The endpoint follows the receiver's port, new on each run.
            WebhookEndpoint.objects.update_or_create(name=DEMO_ENDPOINT, defaults={"url": receiver.url, "active": True,
                                                                                 "secret": "demo-secret"})
            self._step(f"a webhook receiver at {receiver.url} (what it gets: {receiver.log_path})")
            self._collect_and_publish(date, username, feed, drafts)
            self._deliver(date, receiver)
        # The receiver lives only as long as this command: nothing else should be sent to it.
        WebhookEndpoint.objects.filter(name=DEMO_ENDPOINT).update(active=False)

        self._run("digest_status", "--date", date)
        self._step(f"exporting the published day as a Jekyll post into {out}")
        self._run("export_markdown", "--date", date, "--out", out)

    def _collect_and_publish(self, date: str, username: str, feed: Path, drafts: Path) -> None:
        try:
            digest_date = parse_digest_date(date)
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        published = set(DigestDay.objects.filter(date=digest_date, live_publication__isnull=False)
                        .values_list("digest_id", flat=True))
        waiting = [digest for digest in Digest.objects.all() if digest.pk not in published]
        if not waiting:
            # Collecting a published day is refused, and drafting and publishing it again would change nothing.
            self._step(f"{date} is already published in every digest: skipping collecting, drafting, approving "
                       "and publishing")
            return
        demo_memory_load(self._step, self._run)
        self._step(f"collecting the demo day {date} for every digest, with one fetch, from "
                   f"{feed.relative_to(settings.BASE_DIR)}")
        self._run("fetch_papers", "--date", date, "--file", str(feed))
        if settings.DIGEST_LLM_MODEL:
            self._step(f"drafting with {settings.DIGEST_LLM_MODEL} at {settings.OPENAI_BASE_URL or 'OpenAI'}")
        else:
            self._step("no LLM configured (DIGEST_LLM_MODEL unset): loading the hand-written demo drafts")
            self._run("load_demo_drafts", "--file", str(drafts))
        self._run("translate_day", "--date", date, "--sync")
        for digest in waiting:
            leave = 1 if digest.is_home else 0  # the first digest keeps one entry for you to review
            self._step(f"approving the demo day of {digest.name} ({leave} entry left for you to review) and "
                       "publishing it")
            self._run("demo_publish", "--date", date, "--username", username, "--digest", digest.slug,
                      "--leave", str(leave))

    def _second_digest(self) -> None:
        """The demo's second digest, beside the speech one: the same fetch, a paper both select drafted once."""
        slug, name, categories, description = DEMO_SECOND_DIGEST
        if Digest.objects.filter(slug=slug).exists():
            self._step(f"the second digest {slug!r} exists: left as it is")
            return
        digest_add(slug=slug, name=name, categories=categories, description=description)
        self._step(f"a second digest {slug!r} ({name}: {', '.join(categories)}), at /d/{slug}/")

    def _starter_glossary(self) -> None:
        """Only the starter terms the glossary lacks (by source, in any case) are added: a term an editor
        changed keeps the change."""
        self._step(f"the starter glossary from {STARTER_GLOSSARY.relative_to(settings.BASE_DIR)}")
        rows = read_glossary_file(STARTER_GLOSSARY.name, STARTER_GLOSSARY.read_bytes())
        known = {source.lower() for source in GlossaryTerm.objects.values_list("term", flat=True)}
        missing = [row for row in rows if row.source.lower() not in known]
        if missing:
            report = glossary_import(rows=missing)
            if report.refused:
                raise CommandError(f"{STARTER_GLOSSARY.name}: {report.summary}")
        self.stdout.write(f"    starter glossary: {len(missing)} terms added, {len(rows) - len(missing)} already in "
                          "the glossary (left as they are)")

    def _mail_goes_to(self) -> str:
        backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
        return {"filebased": f"files in {settings.EMAIL_FILE_PATH}", "console": "this console",
                "smtp": f"the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"}.get(backend, backend)

    def _demo_reader(self) -> None:
        """The demo reader subscribes and follows the confirmation link, as a reader would; once. A reader
        confirmed, unsubscribed or bouncing is left as they are (only one still awaiting confirmation,
        a run cut short, is confirmed)."""
        reader = Subscriber.objects.filter(email=DEMO_READER).exclude(status=Subscriber.Status.PENDING).first()
        if reader is not None:
            self._step(f"the demo reader {DEMO_READER} exists ({reader.status}): left as it is")
            return
        self._step(f"the demo reader {DEMO_READER} subscribes; the confirmation mail goes to {self._mail_goes_to()}")
        subscribed = subscriber_subscribe(email=DEMO_READER, wants_corrections=True, by_worker=False)
        try:  # what a worker would do (the demo runs none)
            confirmation_mail_send(request=subscribed.request)
        except (smtplib.SMTPException, OSError) as exc:
            self.stderr.write(f"the confirmation mail could not be sent ({exc}); set EMAIL_BACKEND=file or console "
                              "for the demo")
            return
        self.stdout.write(f"    confirmation link: {subscribed.confirmation_url}")
        subscriber = subscriber_confirm(token=subscribed.confirmation_url.rstrip("/").rsplit("/", 1)[1])
        self.stdout.write(f"    followed: {subscriber.email} is {subscriber.status}")

    def _deliver(self, date: str, receiver: DemoWebhookReceiver) -> None:
        """What the workers do after the publish, done here (tasks_run_at_once); each step makes or sends
        only what is not done yet, then the deliveries are shown."""
        day = (DigestDay.objects.select_related("live_publication__day")
               .filter(date=date, digest=Digest.objects.home()).first())
        if day is None or day.live_publication is None:
            return
        publication = day.live_publication
        hold = delivery_hold()
        if hold.held:  # e.g. a database restored from elsewhere: the demo does not switch delivery on for it
            self._step(f"not announcing or mailing version {publication.version}: {hold}")
            return
        self._step(f"announcing version {publication.version} to the webhook and mailing it "
                   f"(mail goes to {self._mail_goes_to()})")
        publication_announce(publication=publication)
        email_edition_prepare(publication=publication)
        # Left from an earlier run (delivery was held then): sent now.
        for delivery_id in WebhookDelivery.objects.filter(
                publication=publication, endpoint__name=DEMO_ENDPOINT,
                status=WebhookDelivery.Status.PENDING).values_list("id", flat=True):
            webhook_delivery_send(delivery_id=delivery_id)
        try:
            email_deliveries_send_all(publication_id=publication.pk)
        except (smtplib.SMTPException, OSError) as exc:
            self.stderr.write(f"the email edition could not be sent: {exc}")
        for delivery in WebhookDelivery.objects.filter(publication=publication, endpoint__name=DEMO_ENDPOINT):
            self.stdout.write(f"    webhook: {delivery.status}, HTTP {delivery.response_status} "
                              f"(logged in {receiver.log_path})")
        for row in publication.email_deliveries.select_related("subscriber").order_by("pk"):
            sent = f" {timezone.localtime(row.sent_at):%H:%M:%S}" if row.sent_at else ""
            self.stdout.write(f"    email edition to {row.subscriber.email}: {row.status}{sent}")

    def _step(self, what: str) -> None:
        self.stdout.write(f"==> {what}")

    def _run(self, *command: str) -> None:
        call_command(*command, stdout=self.stdout, stderr=self.stderr)
