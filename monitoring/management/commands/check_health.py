import json

from django.core.management.base import BaseCommand, CommandError

from monitoring.checks import health_report
from monitoring.incidents import incidents_evaluate


class Command(BaseCommand):
    help = ("Check every part of the digest (database, broker, workers, morning run, drafts, scheduled "
            "publications, deliveries): one line each, exit status 1 when any is failing. With --alert, "
            "also open and resolve incidents and tell the team (once per incident), as the health schedule does.")

    def add_arguments(self, parser):
        parser.add_argument("--alert", action="store_true", help="open / resolve incidents and send their alerts")
        parser.add_argument("--json", action="store_true", help="print the report as /readyz does, as JSON")

    def handle(self, *args, **options):
        report = health_report()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        else:
            for part in report.parts:
                age = "" if part.age_seconds is None else f" [{part.age_seconds:.0f} s]"
                self.stdout.write(f"{'ok  ' if part.ok else 'FAIL'} {part.name}: {part.detail}{age}")
        if options["alert"]:
            for line in incidents_evaluate(report=report).lines():
                self.stdout.write(line)
        if not report.ready:
            raise CommandError("not ready: " + ", ".join(part.name for part in report.parts if not part.ok),
                               returncode=1)
