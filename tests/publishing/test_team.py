"""The newsroom's people: an editorial role lets a person into the admin."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import translation

from publishing.admin_site import NewsroomLoginForm

LOGIN = "/admin/login/"
STRONG_PASSWORD = "quiet vocoder 2026 lantern"


def person(name: str, group: str | None, *, password: str = STRONG_PASSWORD) -> User:
    """An account as a chief editor would make it in the admin's user form: no staff flag ticked."""
    user = User.objects.create_user(name, password=password)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def log_in(client, name: str, password: str = STRONG_PASSWORD, **headers):
    return client.post(LOGIN, {"username": name, "password": password, "next": "/admin/"}, **headers)


@pytest.mark.parametrize("group", ["Editor", "Chief editor"])
def test_an_editorial_role_is_enough_to_log_in_without_the_staff_flag(client, db, group):
    person("ana", group)
    response = log_in(client, "ana")
    assert response.status_code == 302 and response.url == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    assert reverse("admin:publishing_digestday_changelist") in index.content.decode()


def test_taking_the_role_away_closes_the_admin_at_once(client, db):
    ana = person("ana", "Editor")
    client.force_login(ana)
    assert client.get("/admin/").status_code == 200
    ana.groups.clear()
    assert client.get("/admin/").url.startswith(LOGIN)


def test_staff_accounts_still_log_in(client, db):
    User.objects.create_superuser("root", password=STRONG_PASSWORD)
    assert log_in(client, "root").status_code == 302


def test_right_password_without_a_role_is_told_so_not_wrong_password(client, db):
    person("visitor", None)
    response = log_in(client, "visitor", HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert response.status_code == 200
    assert "this account has no editorial role" in content
    assert "Please enter the correct" not in content


def test_the_no_role_message_is_in_the_admins_language(client, db):
    person("visitor", None)
    content = log_in(client, "visitor").content.decode()  # no Accept-Language: the default, Chinese
    with translation.override("zh-hans"):
        message = str(NewsroomLoginForm.error_messages["no_editorial_role"])
        wrong_password = str(NewsroomLoginForm.error_messages["invalid_login"]) % {"username": "用户名"}
    assert message in content
    assert wrong_password[:8] not in content


def test_a_wrong_password_is_still_a_wrong_password(client, db):
    person("ana", "Editor")
    content = log_in(client, "ana", "not it", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please enter the correct" in content and "no editorial role" not in content
