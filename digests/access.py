"""Who may act in which digest: the one place that answers it.

A person's groups (Editor, Chief editor) are bundles of permissions; their roles in digests
(`DigestRole`) say where those apply. In a digest they hold a role in, they may do what the role's
group may (and what their own permissions allow): an editor of A reviews in A; a chief editor of A
publishes in A; neither acts in a digest they hold no role in. Superusers and site editors see
every digest and act as their permissions allow.

What is asked once per request is kept on the user object (as Django keeps its permission cache).
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from digests.models import SITE_EDITOR_GROUP, Digest, DigestRole


def sees_every_digest(user) -> bool:
    """Superusers and site editors: every digest is theirs to see."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_sees_every_digest"):
        user._sees_every_digest = user.groups.filter(name=SITE_EDITOR_GROUP).exists()
    return user._sees_every_digest


def roles_of(user) -> dict[int, str]:
    """The user's role in each digest they are given: {digest id: "editor" | "chief"}."""
    if not user.is_authenticated:
        return {}
    if not hasattr(user, "_digest_roles"):
        user._digest_roles = dict(DigestRole.objects.filter(user=user).values_list("digest_id", "role"))
    return user._digest_roles


def digest_ids_of(user) -> set[int] | None:
    """The ids of the digests the user sees; None for every digest (superusers, site editors)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if sees_every_digest(user):
        return None
    return set(roles_of(user))


def digests_of(user) -> QuerySet[Digest]:
    """The digests the user sees, in the home page's order."""
    ids = digest_ids_of(user)
    return Digest.objects.all() if ids is None else Digest.objects.filter(pk__in=ids)


def rows_of_user_digests(queryset: QuerySet, user, *, digest_field: str = "digest") -> QuerySet:
    """`queryset` cut to the rows of the user's digests (`digest_field`: the path to the row's digest)."""
    ids = digest_ids_of(user)
    return queryset if ids is None else queryset.filter(**{f"{digest_field}__in": ids})


def _role_permissions(user, role: str) -> set[str]:
    """The permissions ("app.codename") the role's group brings, asked once per request."""
    cache = user.__dict__.setdefault("_digest_role_permissions", {})
    if role not in cache:
        cache[role] = {
            f"{app_label}.{codename}"
            for app_label, codename in Permission.objects.filter(group__name=DigestRole.GROUPS[role])
            .values_list("content_type__app_label", "codename")
        }
    return cache[role]


def _digest_id(digest: Digest | int) -> int:
    return digest if isinstance(digest, int) else digest.pk


def user_may(user, permission: str, digest: Digest | int) -> bool:
    """Whether `user` may use `permission` (e.g. "publishing.publish_day") on the rows of `digest`."""
    if user is None or not user.is_active or not user.has_perm(permission):
        return False
    if sees_every_digest(user):
        return True
    role = roles_of(user).get(_digest_id(digest))
    return role is not None and permission in _role_permissions(user, role)


def user_sees_digest(user, digest: Digest | int) -> bool:
    ids = digest_ids_of(user)
    return ids is None or _digest_id(digest) in ids


def require_in_digest(user, permission: str, digest: Digest | int, message: str) -> None:
    """PermissionDenied (a 403 in the admin) unless `user` may use `permission` in `digest`."""
    if not user_may(user, permission, digest):
        raise PermissionDenied(message)
