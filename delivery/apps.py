from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        from delivery import receivers  # noqa: F401  (connects the signal receivers)
        from delivery.tasks import FORMER_NAMES
        from digest_site.workers import task_renamed

        for former, current in FORMER_NAMES.items():
            task_renamed(former, current)
