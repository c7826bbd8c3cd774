from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from delivery import receivers  # connects the signal receivers

        post_migrate.connect(receivers.cache_table_create, sender=self)
