"""People and digests: add_editor gives a role in digests (or makes a site editor); the site editor manages the
digests and who works on which, and cannot give anyone powers; a person's group follows their roles; a day's
notifications go to the people of its digest."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from digests.models import Digest, DigestRole
from newsroom.notifications import recipients
from tests.builders import user_in


@pytest.fixture(autouse=True)
def site_address(settings):
    settings.DIGEST_SITE_URL = "https://digest.example.org"


@pytest.fixture
def nlp(db):
    return Digest.objects.create(slug="nlp", name="NLP Daily", categories=["cs.CL"], anchor=dt.time(8, 50),
                                 time_zone="Asia/Shanghai", position=1)


def add_editor(*args: str) -> str:
    out = io.StringIO()
    call_command("add_editor", *args, stdout=out)
    return out.getvalue()


def roles(username: str) -> dict[str, str]:
    return dict(DigestRole.objects.filter(user__username=username).values_list("digest__slug", "role"))


def groups(username: str) -> list[str]:
    return sorted(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_add_editor_gives_the_role_in_the_first_digest_by_default(db, nlp):
    assert "Created 'ana' as Editor in daily." in add_editor("ana", "--role", "editor")
    assert roles("ana") == {"daily": "editor"} and groups("ana") == ["Editor"]


def test_add_editor_gives_roles_in_the_digests_named_and_keeps_the_others(db, nlp):
    add_editor("ana", "--role", "editor", "--digest", "daily,nlp")
    assert roles("ana") == {"daily": "editor", "nlp": "editor"}
    output = add_editor("ana", "--role", "chief", "--digest", "nlp")
    assert "'ana' is now Chief editor in nlp (no longer Editor)" in output
    assert roles("ana") == {"daily": "editor", "nlp": "chief"} and groups("ana") == ["Chief editor"]


def test_add_editor_refuses_an_unknown_digest_in_one_line_before_writing(db, nlp):
    with pytest.raises(CommandError, match=r"^--digest: no digest 'cv'; the digests are: daily, nlp$"):
        add_editor("ana", "--role", "editor", "--digest", "cv")
    assert not User.objects.filter(username="ana").exists()


def test_add_editor_makes_a_site_editor_who_enters_the_admin(client, db, nlp):
    output = add_editor("sam", "--role", "site")
    assert "Created 'sam' as Site editor." in output
    assert groups("sam") == ["Site editor"] and roles("sam") == {}
    with pytest.raises(CommandError, match="a site editor sees every digest"):
        add_editor("sam", "--role", "site", "--digest", "nlp")
    sam = User.objects.get(username="sam")
    client.force_login(sam)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert reverse("admin:digests_digest_changelist") in index.content.decode()
    assert client.get(reverse("admin:digests_digestrole_changelist")).status_code == 200
    assert client.get(reverse("admin:digests_digest_change", args=[nlp.pk])).status_code == 200


def test_a_persons_group_follows_their_roles(db, nlp):
    ana = user_in(None, "ana")
    role = DigestRole.objects.create(user=ana, digest=nlp, role="chief")
    assert groups("ana") == ["Chief editor"]
    role.role = "editor"
    role.save()
    assert groups("ana") == ["Editor"]
    role.delete()
    assert groups("ana") == []  # no digest to work on: no editorial role
    DigestRole.objects.create(user=ana, digest=nlp, role="editor")
    ana.delete()  # their roles go with them
    assert not DigestRole.objects.exists()


def test_editors_cannot_manage_digests_or_people(client, db):
    client.force_login(user_in("Chief editor", "chief"))
    assert client.get(reverse("admin:digests_digestrole_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_a_site_editor_gives_roles_on_a_persons_page_but_no_powers(client, db, nlp):
    sam = user_in("Site editor", "sam")
    ana = user_in(None, "ana")
    root = User.objects.create_superuser("root", password="pw")
    client.force_login(sam)
    page = client.get(reverse("admin:auth_user_change", args=[ana.pk]))
    fields = set(page.context["adminform"].form.fields)
    assert not fields & {"is_superuser", "is_staff", "groups", "user_permissions"}
    assert client.get(reverse("admin:auth_user_change", args=[root.pk])).status_code in (302, 404)
    data = {
        "username": "ana", "first_name": "", "last_name": "", "email": "ana@example.org", "is_active": "on",
        "is_superuser": "on", "groups": [Group.objects.get(name="Site editor").pk],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-09", "date_joined_1": "08:00:00",
        "digest_roles-TOTAL_FORMS": "1", "digest_roles-INITIAL_FORMS": "0",
        "digest_roles-MIN_NUM_FORMS": "0", "digest_roles-MAX_NUM_FORMS": "1000",
        "digest_roles-0-digest": nlp.pk, "digest_roles-0-role": "chief",
    }
    response = client.post(reverse("admin:auth_user_change", args=[ana.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    ana.refresh_from_db()
    assert not ana.is_superuser and groups("ana") == ["Chief editor"] and roles("ana") == {"nlp": "chief"}


def test_a_days_notifications_go_to_the_people_of_its_digest(db, nlp):
    for name, group, digests in [("ed_home", "Editor", None), ("chief_home", "Chief editor", None),
                                 ("ed_nlp", "Editor", [nlp]), ("chief_nlp", "Chief editor", [nlp])]:
        person = user_in(group, name, digests=digests)
        person.email = f"{name}@example.org"
        person.save()
    names = lambda people: sorted(person.username for person in people)  # noqa: E731
    assert names(recipients(chiefs_only=False, digest_id=nlp.pk)) == ["chief_nlp", "ed_nlp"]
    assert names(recipients(chiefs_only=True, digest_id=nlp.pk)) == ["chief_nlp"]
    assert names(recipients(chiefs_only=True)) == ["chief_home", "chief_nlp"]  # no day: the whole newsroom


def test_a_chief_editor_sees_the_notifications_of_their_digests_days_and_the_newsrooms(client, db, nlp):
    from django.utils import timezone

    from newsroom.models import Notification
    from publishing.models import DigestDay

    now = timezone.now()
    days = {digest.slug: DigestDay.objects.create(digest=digest, date=dt.date(2026, 1, 9), window_start=now,
                                                  window_end=now) for digest in (Digest.objects.home(), nlp)}
    for key, day in [("home-day", days["daily"]), ("nlp-day", days["nlp"]), ("newsroom", None)]:
        Notification.objects.create(event_key=key, kind=Notification.Kind.DAY_READY, day=day, subject=key, body="")
    client.force_login(user_in("Chief editor", "chief"))
    shown = client.get(reverse("admin:newsroom_notification_changelist")).context["cl"].queryset
    assert sorted(shown.values_list("event_key", flat=True)) == ["home-day", "newsroom"]
