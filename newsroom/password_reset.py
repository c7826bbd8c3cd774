"""Editors choose or reset their password: Django's password-reset flow, in the admin's look.

The request page (linked from the admin's login) mails a one-time link on DIGEST_SITE_URL through
the configured EMAIL_BACKEND; the link opens the set-password page, the same one add_editor's link
opens, which logs the editor in. A used or expired link says so and offers a new one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetDoneView, PasswordResetView
from django.core.cache import cache
from django.utils.translation import gettext

from newsroom.team import user_may_enter_admin

# One reset mail per account in this time: the request page is open to anyone, and must not become a
# way to flood an editor's inbox. The page answers the same either way (it tells no one who has an account).
RESET_MAIL_INTERVAL_SECONDS = 15 * 60


class EditorPasswordResetForm(PasswordResetForm):
    """Mails a link to each active account with this address that may enter the admin.

    Unlike Django's form it also mails accounts with no usable password yet: an editor whose
    add_editor link expired before they used it asks here for a new one. Accounts without an
    editorial role get nothing (they could not log in with a password anyway)."""

    def get_users(self, email):
        accounts = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (account for account in accounts if user_may_enter_admin(account) and reset_mail_allowed(account))


def reset_mail_allowed(account) -> bool:
    """True once per RESET_MAIL_INTERVAL_SECONDS per account (cache.add is atomic: two requests at once get one mail)."""
    return cache.add(f"newsroom:password-reset-mailed:{account.pk}", True, RESET_MAIL_INTERVAL_SECONDS)


class AdminPageMixin:
    """The admin's look (its name, header, footer) without the sidebar of models: the person on these
    pages is not logged in, and the sidebar would say they may see nothing."""

    admin_site = None

    def get_context_data(self, **kwargs):
        return {**self.admin_site.each_context(self.request), "is_nav_sidebar_enabled": False,
                "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400, **super().get_context_data(**kwargs)}


class PasswordResetRequestView(AdminPageMixin, PasswordResetView):
    form_class = EditorPasswordResetForm
    template_name = "admin/newsroom/password_reset_form.html"
    subject_template_name = "admin/newsroom/password_reset_subject.txt"
    email_template_name = "admin/newsroom/password_reset_email.txt"

    @property
    def extra_email_context(self):
        # The link starts with the site's public address, not with whatever Host the request came with.
        return {"link_base": settings.DIGEST_SITE_URL.rstrip("/"), "site_title": settings.DIGEST_SITE_TITLE,
                "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400}


class PasswordResetSentView(AdminPageMixin, PasswordResetDoneView):
    template_name = "admin/newsroom/password_reset_done.html"


class SetPasswordView(AdminPageMixin, PasswordResetConfirmView):
    """The page a set-password link opens (add_editor's or a reset mail's): choose a password, then land in
    the admin, logged in. A used or expired link says so and links to the request page."""

    template_name = "admin/newsroom/set_password.html"
    post_reset_login = True

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext("Your password is set. Welcome to the newsroom."))
        return response
