from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("public.urls")),
]

# The public site's look for readers, the admin's inside the admin (digest_site/error_pages.py).
handler403 = "digest_site.error_pages.permission_denied"
handler404 = "digest_site.error_pages.page_not_found"
handler500 = "digest_site.error_pages.server_error"
