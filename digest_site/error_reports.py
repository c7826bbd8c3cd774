"""Error reports to Sentry (or a server speaking its protocol, such as GlitchTip), when SENTRY_DSN is set.

Django's integration reports unhandled exceptions in views, and the logging integration reports every
ERROR log line as an event, which covers the commands and django-q2's workers (a failed
task is logged as an error). No personal data is sent: no user, no cookies, no request bodies (the
subscription forms carry readers' addresses); sentry-sdk's own deny-list masks headers and variables
named like secrets.
"""

from __future__ import annotations

import logging


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        traces_sample_rate=traces_sample_rate,
        data_collection={"user_info": False, "cookies": {"mode": "off"}, "http_bodies": []},
        # sentry-sdk 3 no longer makes events of error lines by itself; a worker's failed task is one.
        integrations=[DjangoIntegration(), LoggingIntegration(event_level=logging.ERROR)],
    )
