"""Upgrading to roles per digest: every current Editor and Chief editor gets that role in the first digest,
so nobody loses access; the Site editor group is made with its permissions."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from digests.access import user_may
from digests.models import Digest, DigestRole
from publishing.permissions import PUBLISH_DAY, REVIEW_ENTRY

BEFORE_ROLES = [("digests", "0003_digest_roles")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_current_editors_keep_their_role_in_the_first_digest():
    Digest.objects.home()  # the installation's digest (a transactional test before this one may have flushed it)
    old = migrate(BEFORE_ROLES)
    try:
        OldUser, OldGroup = old.get_model("auth", "User"), old.get_model("auth", "Group")
        for name, group_names in [("ana", ["Editor"]), ("bo", ["Chief editor"]), ("cy", ["Editor", "Chief editor"]),
                                  ("dee", [])]:
            user = OldUser.objects.create(username=name)
            # get_or_create: a transactional test before this one may have flushed the migrations' groups
            user.groups.add(*[OldGroup.objects.get_or_create(name=name)[0] for name in group_names])
    finally:
        migrate(latest())

    first = Digest.objects.order_by("pk").first()
    assert dict(DigestRole.objects.values_list("user__username", "role")) == {
        "ana": "editor", "bo": "chief", "cy": "chief"}
    assert set(DigestRole.objects.values_list("digest_id", flat=True)) == {first.pk}
    ana, bo = User.objects.get(username="ana"), User.objects.get(username="bo")
    # The groups' permissions, unless a flush before this test took them (it takes what migrations made).
    if Permission.objects.filter(group__name="Chief editor", codename="publish_day").exists():
        assert user_may(ana, REVIEW_ENTRY, first) and not user_may(ana, PUBLISH_DAY, first)
        assert user_may(bo, PUBLISH_DAY, first)
    site = set(Group.objects.get(name="Site editor").permissions.values_list("codename", flat=True))
    assert {"change_digest", "add_digestrole", "delete_digestrole", "change_user"} <= site
    assert "publish_day" not in site
