"""The newsroom's admin site: who may enter, what the login form says, the site's name, set-password links.

It replaces Django's default site (newsroom.apps.NewsroomAdminConfig.default_site), so
`admin.site` and every `@admin.register` use it unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digest_site import __version__
from digest_site.admin_mixins import RowIdGuardMixin
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


class SetPasswordView(PasswordResetConfirmView):
    """The page a set-password link opens: choose a password, then land in the admin, logged in."""

    post_reset_login = True

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext("Your password is set. Welcome to the newsroom."))
        return response


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
        set_password = [
            path("set-password/<uidb64>/<token>/", self.set_password_view, name="set_password"),
        ]
        return set_password + super().get_urls()

    def set_password_view(self, request, uidb64, token):
        request.current_app = self.name
        view = SetPasswordView.as_view(
            success_url=reverse("admin:index", current_app=self.name),
            extra_context=self.each_context(request),
        )
        return view(request, uidb64=uidb64, token=token)
