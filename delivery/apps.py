from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from delivery import receivers  # connects the signal receivers
        from delivery.tasks import FORMER_NAMES
        from digest_site.workers import task_renamed

        for former, current in FORMER_NAMES.items():
            task_renamed(former, current)
        post_migrate.connect(receivers.cache_table_create, sender=self)
