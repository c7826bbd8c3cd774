from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """What readers reach: pages, search, feeds, sitemaps. No models; reads only through
    publishing's public querysets, and nothing in the domain apps imports it."""

    name = "public"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from public import receivers  # noqa: F401  (connects the signal receivers)
