"""Giving people their roles in digests, and making site editors.

A person's editorial group follows their roles: Chief editor when they are chief editor of any digest,
else Editor when they hold any role, else neither (they work on no digest). The receivers below keep it
so whichever way a role is written (add_editor, the admin's forms, a shell); digests.access then
scopes the group's permissions to the digests where the role is held.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from digests.models import SITE_EDITOR_GROUP, Digest, DigestRole


def editorial_groups_follow_roles(user) -> None:
    """Put the user in the group of their highest role and out of the other (out of both with no role)."""
    roles = set(DigestRole.objects.filter(user=user).values_list("role", flat=True))
    wanted = (DigestRole.Role.CHIEF if DigestRole.Role.CHIEF in roles
              else DigestRole.Role.EDITOR if roles else None)
    groups = {group.name: group for group in Group.objects.filter(name__in=DigestRole.GROUPS.values())}
    for role, name in DigestRole.GROUPS.items():
        group = groups.get(name)
        if group is None:  # a database whose groups a test emptied
            continue
        if role == wanted:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    for cached in ("_digest_roles", "_perm_cache", "_group_perm_cache", "_has_editorial_role"):
        user.__dict__.pop(cached, None)


@transaction.atomic
def digest_roles_give(*, user, role: str, digests: Iterable[Digest]) -> list[DigestRole]:
    """Give `user` the role `role` ("editor" or "chief") in each of `digests` (changing a role held there);
    their roles in other digests stay. Their editorial group follows (see the module's docstring)."""
    role = DigestRole.Role(role)
    given = []
    for digest in digests:
        held, _created = DigestRole.objects.update_or_create(user=user, digest=digest, defaults={"role": role})
        given.append(held)
    editorial_groups_follow_roles(user)
    return given


def site_editor_make(user) -> None:
    """Make `user` a site editor: they manage the digests and the people, and see every digest."""
    user.groups.add(Group.objects.get(name=SITE_EDITOR_GROUP))
    user.__dict__.pop("_sees_every_digest", None)


def _role_written(sender, instance: DigestRole, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: the fixture brings the groups too
        return
    editorial_groups_follow_roles(instance.user)


def roles_receivers_connect() -> None:
    post_save.connect(_role_written, sender=DigestRole, dispatch_uid="digest_role_saved")
    post_delete.connect(_role_written, sender=DigestRole, dispatch_uid="digest_role_deleted")
