"""The newsroom's admin site: who may enter, what the login form says, the site's name, the password pages
(newsroom/password_reset.py: set-password links and resetting a forgotten password).

It replaces Django's default site (newsroom.apps.NewsroomAdminConfig.default_site), so
`admin.site` and every `@admin.register` use it unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _

from digest_site import __version__
from digest_site.admin_mixins import RowIdGuardMixin
from newsroom.password_reset import PasswordResetRequestView, PasswordResetSentView, SetPasswordView
from newsroom.team import user_may_enter_admin


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
    # Django's login page with a link to the password reset (its own link looks for a URL name outside the admin).
    login_template = "admin/newsroom/login.html"
    index_title = _("Newsroom")

    # The site's own name instead of "Django administration"; read on each page, so settings overrides apply.
    @property
    def site_header(self):
        return settings.DIGEST_SITE_TITLE

    @property
    def site_title(self):
        return settings.DIGEST_SITE_TITLE

    def each_context(self, request):
        # The version in every page's footer: which release an editor is looking at, when reporting a problem.
        return {**super().each_context(request), "digest_version": __version__}
    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model's admin, ours, Django's (users, groups) and django-q2's, gets the row id guard:
        one place instead of a base class each app must remember (and Django's own could not have)."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, RowIdGuardMixin):
            admin_class = type(admin_class.__name__, (RowIdGuardMixin, admin_class), {
                "__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__,
                "__doc__": admin_class.__doc__,
            })
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request):
        # An editorial role is enough: nobody has to remember to tick the staff flag as well.
        return user_may_enter_admin(request.user)

    def get_urls(self):
        passwords = [
            path("password-reset/", self.password_page(
                PasswordResetRequestView, success_url=reverse_lazy("admin:password_reset_done")),
                name="password_reset"),
            path("password-reset/sent/", self.password_page(PasswordResetSentView), name="password_reset_done"),
            path("set-password/<uidb64>/<token>/", self.password_page(
                SetPasswordView, success_url=reverse_lazy("admin:index")), name="set_password"),
        ]
        return passwords + super().get_urls()

    def password_page(self, view_class, **initkwargs):
        """A password page in this site's look, open to people not logged in (not wrapped in admin_view)."""
        view = view_class.as_view(admin_site=self, **initkwargs)

        def password_view(request, *args, **kwargs):
            request.current_app = self.name
            return view(request, *args, **kwargs)
        return password_view
