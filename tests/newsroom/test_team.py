"""The newsroom's people: an editorial role lets a person into the admin; add_editor and its set-password link."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from newsroom.admin_site import NewsroomLoginForm

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


def add_editor(*args: str) -> str:
    out = io.StringIO()
    call_command("add_editor", *args, stdout=out)
    return out.getvalue()


def link_in(output: str) -> str:
    return re.search(r"https?://\S+", output).group(0)


def test_add_editor_then_the_link_sets_a_password_and_logs_in(client, db, settings):
    settings.DIGEST_SITE_URL = "https://digest.example.org"
    output = add_editor("ana", "--role", "editor", "--email", "ana@example.org")
    ana = User.objects.get(username="ana")
    assert not ana.has_usable_password() and not ana.is_staff
    assert (ana.email, [g.name for g in ana.groups.all()]) == ("ana@example.org", ["Editor"])
    link = urlsplit(link_in(output))
    assert (link.scheme, link.netloc) == ("https", "digest.example.org")
    assert link.path.startswith("/admin/set-password/")

    form_page = client.get(link.path, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == "/admin/"
    assert done.status_code == 200 and done.context["user"].username == "ana"

    client.logout()
    assert log_in(client, "ana").url == "/admin/"
    client.logout()
    spent = client.get(link.path, follow=True)
    assert spent.status_code == 200 and not spent.context["validlink"], "the link works once"


def test_the_set_password_page_looks_like_the_admin(client, db):
    output = add_editor("ana", "--role", "chief")
    page = client.get(urlsplit(link_in(output)).path, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    content = page.content.decode()
    assert 'id="site-name"' in content and "arXiv 每日论文速递" in content
    assert "Django administration" not in content


def test_add_editor_moves_a_person_between_roles_and_keeps_their_password(db):
    ana = person("ana", "Chief editor")
    output = add_editor("ana", "--role", "editor")
    ana.refresh_from_db()
    assert [g.name for g in ana.groups.all()] == ["Editor"]
    assert ana.check_password(STRONG_PASSWORD)
    assert "no longer Chief editor" in output and "password is unchanged" in output
    add_editor("ana", "--role", "chief")
    assert [g.name for g in ana.groups.all()] == ["Chief editor"]


def test_add_editor_refuses_a_bad_username_or_email(db):
    with pytest.raises(CommandError, match="ana lee"):
        add_editor("ana lee", "--role", "editor")
    # In the site's language (zh-hans: "输入一个有效的 Email 地址"), as manage.py runs it.
    with pytest.raises(CommandError, match="有效的 Email"):
        add_editor("ana", "--role", "editor", "--email", "not-an-address")
    assert not User.objects.exists()
