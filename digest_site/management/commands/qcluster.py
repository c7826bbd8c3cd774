import importlib
import logging

from django.core.management.base import CommandError
from django_q.management.commands import qcluster

from digest_site import __version__
from digest_site.schema import schema_problem

logger = logging.getLogger("digest_site.workers")

# Libraries the workers' tasks import where they are used (so that web processes and commands that never
# draft do not pay for them), imported here once instead: the cluster forks its workers from this
# process, so they share what it imported. Else each worker paid for `openai` (over a second of CPU)
# in its first draft, every worker at once when a day's drafting starts, and again after each recycle.
WORKER_IMPORTS = ("openai",)


class Command(qcluster.Command):
    """django-q2's qcluster, run only against a database migrated for this code (the project's app is
    listed before django_q in INSTALLED_APPS, so `manage.py qcluster` is this command)."""

    help = "Start the workers (django-q2's cluster) once the database's migrations match this code's."

    def handle(self, *args, **options):
        problem = schema_problem()
        if problem:
            raise CommandError(f"refusing to start the workers: {problem}")
        for module in WORKER_IMPORTS:
            importlib.import_module(module)
        logger.info("arxiv-digest %s: workers starting", __version__)
        return super().handle(*args, **options)
