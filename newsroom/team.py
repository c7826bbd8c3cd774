"""The newsroom's people: who holds an editorial role, and adding an editor.

The roles are the groups made by migration 0003 (see docs/editorial.md, "Roles").
Holding one is what lets a person into the admin; the staff flag is not needed.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.tokens import default_token_generator
from django.core.validators import validate_email
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from publishing.site_links import site_url

# add_editor's name for each role, and its group (named in migration 0003).
ROLE_GROUPS = {"editor": "Editor", "chief": "Chief editor"}


def user_has_editorial_role(user) -> bool:
    """Whether the user is in Editor or Chief editor; asked once per request (kept on the user object)."""
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_has_editorial_role"):
        user._has_editorial_role = user.groups.filter(name__in=ROLE_GROUPS.values()).exists()
    return user._has_editorial_role


def user_may_enter_admin(user) -> bool:
    """An active account that holds an editorial role, or Django's staff flag (superusers, site admins)."""
    return user.is_active and (user.is_staff or user_has_editorial_role(user))


@dataclass(frozen=True)
class EditorAdded:
    user: AbstractUser
    created: bool
    role_group: str
    removed_groups: list[str]


@transaction.atomic
def editor_add(*, username: str, role: str, email: str | None = None) -> EditorAdded:
    """Give `username` the role `role` ("editor" or "chief"), creating the account if needed.

    Steps:
    1. check the username and e-mail (ValidationError, nothing written);
    2. create the user with no usable password (they choose one through set_password_url),
       or take the existing one, whose password is left as it is; either way the account is active;
    3. put the user in the role's group and take them out of the other role's.
    """
    if role not in ROLE_GROUPS:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLE_GROUPS)}")
    User = get_user_model()
    User.username_validator(username)
    if email:
        validate_email(email)
    user = User.objects.select_for_update().filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
        user.set_unusable_password()
    user.is_active = True
    if email:
        user.email = email
    user.save()
    wanted = Group.objects.get(name=ROLE_GROUPS[role])
    others = list(user.groups.filter(name__in=ROLE_GROUPS.values()).exclude(pk=wanted.pk))
    user.groups.remove(*others)
    user.groups.add(wanted)
    return EditorAdded(user=user, created=created, role_group=wanted.name, removed_groups=[g.name for g in others])


def set_password_url(user) -> str:
    """A link on DIGEST_SITE_URL to the admin's set-password page for `user`.

    It works once: Django's token covers the password and the last login, so setting a
    password (or logging in) spends it; it also expires after PASSWORD_RESET_TIMEOUT.
    """
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url("admin:set_password", uidb64, token)
