"""The newsroom's people: an editorial role lets a person into the admin; add_editor and its set-password link."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from newsroom.admin_site import NewsroomLoginForm

LOGIN = "/admin/login/"
STRONG_PASSWORD = "quiet vocoder 2026 lantern"


@pytest.fixture(autouse=True)
def site_address(settings):
    """A site's address, as a real site sets it (add_editor refuses the development default outside DEBUG)."""
    settings.DIGEST_SITE_URL = "https://digest.example.org"


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


def test_the_set_password_page_looks_like_the_admin(client, db, settings):
    settings.DIGEST_SITE_URL = "https://digest.example.org"
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


def test_the_set_password_page_has_no_sidebar_saying_the_visitor_may_see_nothing(client, db, settings):
    settings.DIGEST_SITE_URL = "https://digest.example.org"
    page = client.get(urlsplit(link_in(add_editor("ana", "--role", "editor"))).path, follow=True)
    content = page.content.decode()
    assert page.context["validlink"] and 'name="new_password1"' in content
    assert "nav-sidebar" not in content and "你没有查看或编辑的权限" not in content
    assert "设置密码" in content and "ana" in content


def test_a_used_link_says_so_in_chinese_and_offers_a_new_one(client, db, settings):
    settings.DIGEST_SITE_URL = "https://digest.example.org"
    link = urlsplit(link_in(add_editor("ana", "--role", "editor"))).path
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD})
    client.logout()

    spent = client.get(link, follow=True)

    content = spent.content.decode()
    assert not spent.context["validlink"]
    assert "这个链接已经用过或已过期" in content and "Please request a new password reset" not in content
    assert f'href="{reverse("admin:password_reset")}"' in content
    assert "nav-sidebar" not in content


def test_add_editor_on_a_site_without_its_address_refuses_before_writing(db, settings):
    settings.DEBUG = False
    settings.DIGEST_SITE_URL = settings.DIGEST_SITE_URL_DEFAULT
    with pytest.raises(CommandError, match="DIGEST_SITE_URL is not set, so the link would point at http://127.0.0.1:8000"):
        add_editor("ana", "--role", "editor")
    assert not User.objects.exists()


def test_add_editor_under_debug_uses_the_development_address_and_says_so(db, settings):
    settings.DEBUG = True
    settings.DIGEST_SITE_URL = settings.DIGEST_SITE_URL_DEFAULT
    output = add_editor("ana", "--role", "editor")
    assert link_in(output).startswith("http://127.0.0.1:8000/admin/set-password/")
    assert "DIGEST_SITE_URL is not set: the link assumes the site at http://127.0.0.1:8000" in output


REPO_ROOT = Path(__file__).resolve().parents[2]


def manage(tmp_path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """manage.py as an operator runs it: the project's settings, a SQLite file in tmp_path, and only the
    variables given (no DEBUG, SECRET_KEY or DIGEST_SITE_URL from the tests)."""
    left_out = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "DIGEST_SITE_URL"}
    env = {name: value for name, value in os.environ.items() if name not in left_out}
    env.update(DJANGO_SETTINGS_MODULE="digest_site.settings", DIGEST_VAR_DIR=str(tmp_path), HOME=str(tmp_path),
               **variables)
    return subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), *args], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=180)


def test_add_editor_as_the_docs_show_it_and_each_of_its_errors_in_one_line(tmp_path):
    site = {"SECRET_KEY": "a-site-secret-of-some-length", "DIGEST_SITE_URL": "https://digest.example.org"}
    failures = {
        "no SECRET_KEY": manage(tmp_path, "add_editor", "ana", "--role", "editor"),
        "no DIGEST_SITE_URL": manage(tmp_path, "add_editor", "ana", "--role", "editor", SECRET_KEY="x" * 40),
        "not migrated": manage(tmp_path, "add_editor", "ana", "--role", "editor", **site),
    }
    for why, result in failures.items():
        assert result.returncode != 0 and result.stdout == "", why
        assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, (why, result.stderr)
    assert failures["no SECRET_KEY"].stderr.startswith("ImproperlyConfigured: SECRET_KEY must be set")
    assert failures["no DIGEST_SITE_URL"].stderr.startswith("CommandError: DIGEST_SITE_URL is not set")
    assert failures["not migrated"].stderr.startswith("DatabaseError: ")

    assert manage(tmp_path, "migrate", "--verbosity", "0", DEBUG="1").returncode == 0
    bad_address = manage(tmp_path, "add_editor", "ana", "--role", "editor", "--email", "not-an-address", **site)
    assert bad_address.returncode == 1 and bad_address.stderr.startswith("CommandError: ana: ")
    assert bad_address.stderr.count("\n") == 1 and bad_address.stderr.endswith("\n")

    # docs/editorial.md's line, with the site's environment (outside DEBUG).
    added = manage(tmp_path, "add_editor", "ana", "--role", "editor", "--email", "ana@example.org", **site)
    assert added.returncode == 0 and added.stderr == ""
    assert "https://digest.example.org/admin/set-password/" in added.stdout
