from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        from publishing import receivers  # noqa: F401  (connects the signal receivers)


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the newsroom's site as `admin.site`; installed in its place in INSTALLED_APPS."""

    default_site = "publishing.admin_site.NewsroomAdminSite"
    # Not the config of the `publishing` entry: that stays PublishingConfig.
    default = False
