from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    """The newsroom's people and its door: who holds an editorial role, adding an editor, the admin site
    they work in, and what they are told (notifications, each person's preference). The roles are auth
    Groups (made by publishing's migration 0003)."""

    name = "newsroom"
    verbose_name = _("Newsroom")

    def ready(self) -> None:
        from newsroom import receivers
        from publishing.signals import day_status_changed, publishing_swept

        day_status_changed.connect(receivers.day_status_changed_notify, dispatch_uid="newsroom-day-moves")
        publishing_swept.connect(receivers.publishing_swept_notify, dispatch_uid="newsroom-sweep")


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the newsroom's site as `admin.site`; installed in its place in INSTALLED_APPS."""

    default_site = "newsroom.admin_site.NewsroomAdminSite"
    # Not the config of the `newsroom` entry: that stays NewsroomConfig.
    default = False
