"""Error pages with DEBUG off: Chinese pages in the public site's style for readers, the admin's style in the admin."""

import pytest
from django.template import TemplateSyntaxError
from django.urls import reverse
from django.utils import translation

from digest_site import error_pages
from tests.builders import user_in

PUBLIC_HEADER = '<a class="brand" href="/">arXiv 每日论文速递</a>'
ADMIN_HEADER = '<div id="site-name"><a href="/admin/">arXiv 每日论文速递</a></div>'


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


@pytest.mark.parametrize("url", ["/no-such-page/", "/days/2025-01-06/", "/papers/2601.99999/"])
def test_a_missing_page_is_a_chinese_page_of_the_public_site(client, db, url):
    response = client.get(url)
    content = response.content.decode()
    assert response.status_code == 404
    assert PUBLIC_HEADER in content and "<h1>找不到这一页</h1>" in content
    assert 'href="/"' in content and 'action="/search/"' in content


@pytest.mark.urls("tests.error_page_urls")
def test_a_refusal_on_the_public_site_is_a_chinese_page_of_the_public_site(client, db):
    response = client.get("/private/")
    assert response.status_code == 403
    assert PUBLIC_HEADER in response.content.decode() and "<h1>无权访问</h1>" in response.content.decode()


@pytest.mark.urls("tests.error_page_urls")
def test_a_server_error_is_a_static_chinese_page_that_needs_no_database(client):
    """No `db` fixture: any database query while the page is made would fail it (and show the bare fallback)."""
    client.raise_request_exception = False
    for url in ("/broken/", "/admin/broken/"):
        response = client.get(url)
        content = response.content.decode()
        assert response.status_code == 500
        assert PUBLIC_HEADER in content and "<h1>服务器出错</h1>" in content


@pytest.mark.urls("tests.error_page_urls")
def test_a_server_error_page_that_cannot_render_falls_back_to_bare_text(client, monkeypatch):
    def broken_template(name):
        raise TemplateSyntaxError("a broken template")

    monkeypatch.setattr(error_pages.loader, "get_template", broken_template)
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert (response.status_code, response.content.decode()) == (500, error_pages.BARE_SERVER_ERROR)


def test_an_editor_trying_to_publish_is_refused_in_the_admins_style(client, drafted_day, editor):
    client.force_login(editor)
    url = reverse("admin:publishing_digestday_publish", args=[drafted_day.pk])
    response = client.post(url, {"content_hash": ""}, HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert response.status_code == 403
    assert ADMIN_HEADER in content and 'id="logout-form"' in content
    assert "<h1>Not allowed for your role</h1>" in content and "ask a chief editor" in content
    assert PUBLIC_HEADER not in content


def test_the_admins_refusal_is_in_the_admins_language(client, db):
    client.force_login(user_in("Editor", "editor"))
    content = client.get(reverse("admin:auth_user_changelist")).content.decode()
    with translation.override("zh-hans"):
        assert f"<h1>{translation.gettext('Not allowed for your role')}</h1>" in content
        assert translation.gettext("Home") in content


def test_a_missing_admin_page_is_in_the_admins_style(admin_client):
    response = admin_client.get("/admin/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert response.status_code == 404
    assert ADMIN_HEADER in content and "Page not found" in content and PUBLIC_HEADER not in content
