import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest_site.settings")
application = get_wsgi_application()

# After the setup above (the check needs the settings and the apps): no serving from a database
# migrated for other code (docs/upgrading.md).
from digest_site.schema import web_start_check  # noqa: E402

web_start_check()
