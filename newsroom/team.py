"""The newsroom's people: who holds an editorial role, and adding an editor.

The roles are the groups made by publishing's migration 0003 and digests' 0004 (see docs/editorial.md,
"Roles"); an editor's or chief editor's role is held in digests (digests.DigestRole), and their group
follows it. Holding one is what lets a person into the admin; the staff flag is not needed.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.tokens import default_token_generator
from django.core.validators import validate_email
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from digests.models import SITE_EDITOR_GROUP, Digest, DigestRole
from digests.roles import digest_roles_give, site_editor_make
from publishing.site_links import site_url

# add_editor's name for each role held in digests, and its group (named in publishing's migration 0003).
ROLE_GROUPS = {role.value: group for role, group in DigestRole.GROUPS.items()}
# add_editor's name for the site editor's role (held in no digest: they see every one).
SITE_ROLE = "site"
ROLE_NAMES = [*ROLE_GROUPS, SITE_ROLE]


def user_has_editorial_role(user) -> bool:
    """Whether the user is an Editor, Chief editor or Site editor; asked once per request (kept on the user)."""
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_has_editorial_role"):
        user._has_editorial_role = user.groups.filter(
            name__in=[*ROLE_GROUPS.values(), SITE_EDITOR_GROUP]).exists()
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
    digests: list[Digest]  # where the role was given (none for a site editor)


@transaction.atomic
def editor_add(*, username: str, role: str, email: str | None = None,
               digests: list[Digest] | None = None) -> EditorAdded:
    """Give `username` the role `role` ("editor" or "chief" in `digests`, the first digest by default; "site":
    site editor), creating the account if needed.

    Steps:
    1. check the username and e-mail (ValidationError, nothing written);
    2. create the user with no usable password (they choose one through set_password_url),
       or take the existing one, whose password is left as it is; either way the account is active;
    3. give the role in each digest (their roles in other digests stay), and their editorial group follows
       (digests.roles); or put them in the Site editor group.
    """
    if role not in ROLE_NAMES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLE_NAMES)}")
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
    if role == SITE_ROLE:
        site_editor_make(user)
        return EditorAdded(user=user, created=created, role_group=SITE_EDITOR_GROUP, removed_groups=[], digests=[])
    before = set(user.groups.values_list("name", flat=True))
    digests = digests or [Digest.objects.home()]
    digest_roles_give(user=user, role=role, digests=digests)
    after = set(user.groups.values_list("name", flat=True))
    return EditorAdded(user=user, created=created, role_group=ROLE_GROUPS[role],
                       removed_groups=sorted((before - after) & set(ROLE_GROUPS.values())), digests=list(digests))


def set_password_url(user) -> str:
    """A link on DIGEST_SITE_URL to the admin's set-password page for `user`.

    It works once: Django's token covers the password and the last login, so setting a
    password (or logging in) spends it; it also expires after PASSWORD_RESET_TIMEOUT.
    """
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url("admin:set_password", uidb64, token)
