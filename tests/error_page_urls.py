"""The site's URLs plus views that fail, to see the error pages (used with @pytest.mark.urls)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from digest_site.urls import handler403, handler404, handler500  # noqa: F401  (Django reads them from here)
from digest_site.urls import urlpatterns as site_urlpatterns


def raises_error(request):
    raise RuntimeError("a bug in a view")


def refuses(request):
    raise PermissionDenied


urlpatterns = [
    path("broken/", raises_error),
    path("admin/broken/", raises_error),
    path("private/", refuses),
    *site_urlpatterns,
]
