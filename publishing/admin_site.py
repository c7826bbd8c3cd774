"""The newsroom's admin site: who may enter, what the login form says, the site's name.

It replaces Django's default site (publishing.apps.NewsroomAdminConfig.default_site), so
`admin.site` and every `@admin.register` use it unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from publishing.team import user_may_enter_admin


class NewsroomLoginForm(AdminAuthenticationForm):
    """Tells a person whose password is right but who holds no editorial role so, instead of "wrong password"."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "no_editorial_role": _(
            "Your username and password are correct, but this account has no editorial role. "
            "Ask a chief editor to add you as an Editor or Chief editor."
        ),
    }

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # the inactive-account check, not the staff flag
        if not user_may_enter_admin(user):
            raise ValidationError(self.error_messages["no_editorial_role"], code="no_editorial_role")


class NewsroomAdminSite(admin.AdminSite):
    login_form = NewsroomLoginForm
    index_title = _("Newsroom")

    # The site's own name instead of "Django administration"; read on each page, so settings overrides apply.
    @property
    def site_header(self):
        return settings.DIGEST_SITE_TITLE

    @property
    def site_title(self):
        return settings.DIGEST_SITE_TITLE

    def has_permission(self, request):
        # An editorial role is enough: nobody has to remember to tick the staff flag as well.
        return user_may_enter_admin(request.user)
