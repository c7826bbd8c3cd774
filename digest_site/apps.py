from django.apps import AppConfig


class DigestSiteConfig(AppConfig):
    """The project's wiring, installed as an app for what needs one: its `qcluster` (listed before
    django_q, so it is the one run: it checks the database's migrations first) and the workers'
    receivers for tasks they cannot run (digest_site/workers.py). No models."""

    name = "digest_site"
    verbose_name = "arxiv-digest"

    def ready(self) -> None:
        from digest_site import workers

        workers.connect_receivers()
