"""The newsroom's people: who holds an editorial role.

The roles are the groups made by migration 0003 (see docs/editorial.md, "Roles").
Holding one is what lets a person into the admin; the staff flag is not needed.
"""

# A short name for each role, and its group (named in migration 0003).
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
