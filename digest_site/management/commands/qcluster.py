import logging

from django.core.management.base import CommandError
from django_q.management.commands import qcluster

from digest_site import __version__
from digest_site.schema import schema_problem

logger = logging.getLogger("digest_site.workers")


class Command(qcluster.Command):
    """django-q2's qcluster, run only against a database migrated for this code (the project's app is
    listed before django_q in INSTALLED_APPS, so `manage.py qcluster` is this command)."""

    help = "Start the workers (django-q2's cluster) once the database's migrations match this code's."

    def handle(self, *args, **options):
        problem = schema_problem()
        if problem:
            raise CommandError(f"refusing to start the workers: {problem}")
        logger.info("arxiv-digest %s: workers starting", __version__)
        return super().handle(*args, **options)
