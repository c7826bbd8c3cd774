from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    """The newsroom's people and its door: who holds an editorial role, adding an editor, and the
    admin site they work in. No models: the roles are auth Groups (made by publishing's migration 0003)."""

    name = "newsroom"
    verbose_name = _("Newsroom")


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the newsroom's site as `admin.site`; installed in its place in INSTALLED_APPS."""

    default_site = "newsroom.admin_site.NewsroomAdminSite"
    # Not the config of the `newsroom` entry: that stays NewsroomConfig.
    default = False
