"""The error pages: the public site's look for readers, the admin's look inside the admin.

Wired as handler403 / handler404 / handler500 in digest_site/urls.py. The templates are
404.html, 403.html and 500.html (public/templates/, in the public site's style) and
admin/403.html, admin/404.html (the admin's, with the admin's own header and menus).
"""

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import requires_csrf_token

# The last resort when even the 500 template cannot be rendered (a broken template or URLconf).
BARE_SERVER_ERROR = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>服务器出错</title>'
    "<h1>服务器出错</h1><p>页面暂时打不开，请稍后再试。</p></html>"
)


def _in_admin(request) -> bool:
    return request.path.startswith(reverse("admin:index"))


@requires_csrf_token  # the admin's header holds the logout form
def page_not_found(request, exception):
    if _in_admin(request):
        return render(request, "admin/404.html", admin.site.each_context(request), status=404)
    return render(request, "404.html", {"request_path": request.path}, status=404)


@requires_csrf_token
def permission_denied(request, exception):
    if _in_admin(request):
        context = {**admin.site.each_context(request), "title": gettext("Not allowed for your role")}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "403.html", status=403)


def server_error(request):
    """A static page: no request context processors, no database (it may be what failed)."""
    context = {"site_title": settings.DIGEST_SITE_TITLE, "site_categories": settings.DIGEST_CATEGORIES}
    try:
        body = loader.get_template("500.html").render(context)
    except Exception:  # noqa: BLE001  (whatever broke the page must not also break the error page)
        body = BARE_SERVER_ERROR
    return HttpResponseServerError(body)
