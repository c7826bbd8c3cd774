import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest_site.settings")
application = get_asgi_application()

# As in wsgi.py: no serving from a database migrated for other code (docs/upgrading.md).
from digest_site.schema import web_start_check  # noqa: E402

web_start_check()
