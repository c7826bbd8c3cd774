from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

urlpatterns = [
    # The email edition's and webhooks' admin pages moved with their models to the delivery app;
    # bookmarks of the old addresses still lead there.
    re_path(r"^admin/publishing/(?P<model>subscriber|emaildelivery|webhookendpoint|webhookdelivery)/(?P<rest>.*)$",
            RedirectView.as_view(url="/admin/delivery/%(model)s/%(rest)s", permanent=True, query_string=True)),
    path("admin/", admin.site.urls),
    # /healthz, /readyz, /metrics (by name, as public's: digest_site imports no domain app).
    path("", include("monitoring.urls")),
    path("", include("public.urls")),
]

# The public site's look for readers, the admin's inside the admin (digest_site/error_pages.py).
handler403 = "digest_site.error_pages.permission_denied"
handler404 = "digest_site.error_pages.page_not_found"
handler500 = "digest_site.error_pages.server_error"
