"""Editors reset a forgotten password (or set one whose add_editor link expired) themselves: Django's
password-reset flow in the admin's look and in Chinese, the mail through the configured SMTP server."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

NEW_PASSWORD = "paper lantern 2026 vocoder"


def editor(name: str, email: str, *, password: str | None = None, group: str = "Editor") -> User:
    user = User.objects.create_user(name, email=email, password=password)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def request_link(client, email: str):
    return client.post(reverse("admin:password_reset"), {"email": email}, follow=True)


def link_in(body: str) -> str:
    return re.search(r"https?://\S+", body).group(0)


def test_an_editor_resets_their_password_through_the_mail_and_logs_in(client, db, smtp_server):
    ana = editor("ana", "ana@example.org", password="an old password she forgot")

    login = client.get(reverse("admin:login")).content.decode()
    assert f'href="{reverse("admin:password_reset")}"' in login and "忘记了密码" in login
    form = client.get(reverse("admin:password_reset")).content.decode()
    assert "设置新密码" in form and 'name="email"' in form
    assert "nav-sidebar" not in form and "你没有查看或编辑的权限" not in form

    sent = request_link(client, "ANA@example.org")  # the address in any case
    assert sent.redirect_chain[-1][0] == reverse("admin:password_reset_done")
    assert "链接已发送" in sent.content.decode() and "nav-sidebar" not in sent.content.decode()

    [mail] = smtp_server.received
    assert mail.to == "ana@example.org"
    assert mail.message["Subject"].strip() == "设置您在「arXiv 每日论文速递」的密码"
    body = mail.message.get_content()
    assert "ana，您好" in body and "链接只能使用一次，3 天内有效" in body
    link = urlsplit(link_in(body))
    assert (link.scheme, link.netloc) == ("https", "digest.example.org"), "DIGEST_SITE_URL, not the request's host"

    page = client.get(link.path, follow=True)
    assert page.context["validlink"] and "nav-sidebar" not in page.content.decode()
    done = client.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
                       follow=True)
    assert done.redirect_chain[-1][0] == reverse("admin:index") and done.context["user"] == ana
    assert "密码已设置，欢迎来到编辑部。" in done.content.decode()

    client.logout()
    logged_in = client.post(reverse("admin:login"), {"username": "ana", "password": NEW_PASSWORD, "next": "/admin/"})
    assert logged_in.status_code == 302 and logged_in.url == "/admin/"
    client.logout()
    spent = client.get(link.path, follow=True).content.decode()
    assert "这个链接已经用过或已过期" in spent


def test_an_editor_who_never_set_a_password_can_ask_for_a_link(client, db, smtp_server):
    bo = editor("bo", "bo@example.org")  # made by add_editor: no usable password until they use its link
    assert not bo.has_usable_password()
    request_link(client, "bo@example.org")
    [mail] = smtp_server.received
    page = client.get(urlsplit(link_in(mail.message.get_content())).path, follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    bo.refresh_from_db()
    assert bo.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("address", ["nobody@example.org", "reader@example.org", "gone@example.org"])
def test_no_mail_for_an_unknown_address_an_account_without_a_role_or_an_inactive_one(client, db, smtp_server,
                                                                                      address):
    editor("reader", "reader@example.org", password="a reader's password", group="")
    User.objects.filter(pk=editor("gone", "gone@example.org").pk).update(is_active=False)
    sent = request_link(client, address)
    # The same answer whatever the address: the page does not tell who has an account.
    assert sent.redirect_chain[-1][0] == reverse("admin:password_reset_done")
    assert smtp_server.received == []


def test_asking_again_and_again_mails_one_link_per_quarter_hour(client, db, smtp_server, settings):
    """The request page is open to anyone: it must not become a way to flood an editor's inbox."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "password-reset-test"}}
    editor("ana", "ana@example.org", password="an old password she forgot")
    for _ in range(5):
        answer = request_link(client, "ana@example.org")
        assert answer.redirect_chain[-1][0] == reverse("admin:password_reset_done"), "the same answer every time"
    assert len(smtp_server.received) == 1
