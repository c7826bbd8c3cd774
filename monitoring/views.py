"""The probes and the metrics: thin views over monitoring.checks and monitoring.metrics.

- /healthz: the process serves (200); touches nothing else, not even the database.
- /readyz: the health report as JSON; 200 when every part is well, else 503.
- /metrics: Prometheus's text format, only with `Authorization: Bearer DIGEST_METRICS_TOKEN`; a 404
  while no token is set, so a forgotten setting never makes it public.

None is cached, none sets a cookie, and none writes (a GET writes nothing).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from monitoring.checks import health_report
from monitoring.metrics import metrics_exposition


@never_cache
@require_safe
def healthz(request) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def readyz(request) -> JsonResponse:
    report = health_report()
    return JsonResponse(report.as_json(), status=200 if report.ready else 503, json_dumps_params={"ensure_ascii": False})


@never_cache
@require_safe
def metrics(request) -> HttpResponse:
    token = settings.DIGEST_METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: DIGEST_METRICS_TOKEN is not set")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)
