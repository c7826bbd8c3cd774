from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DigestsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "digests"
    verbose_name = _("Digests")

    def ready(self):
        from digests.roles import roles_receivers_connect

        roles_receivers_connect()
