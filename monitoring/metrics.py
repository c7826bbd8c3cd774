"""Prometheus metrics, read from the database at scrape time (prometheus_client with a custom collector).

Nothing is counted in a process's memory, so any number of web processes answer alike and a restart
loses nothing. Each scrape makes the health report's queries and a few counts:

- arxiv_digest_health_ok{part}, arxiv_digest_health_age_seconds{part}: the readiness report's parts;
- arxiv_digest_queue_depth: tasks waiting in django-q2's broker (the ORM queue's rows, or the Redis list);
- arxiv_digest_drafts{status}, arxiv_digest_days{status}: machine drafts and digest days by status;
- arxiv_digest_days_by_digest{digest,status}: each digest's days by status;
- arxiv_digest_email_deliveries{status}, arxiv_digest_webhook_deliveries{status}: deliveries of the
  versions published in the last 7 days, by status;
- arxiv_digest_seconds_since_morning_run, arxiv_digest_seconds_since_worker_heartbeat;
- arxiv_digest_incidents_open{kind}.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from django_q.brokers import get_broker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from delivery.models import EmailDelivery, WebhookDelivery
from digests.models import Digest
from monitoring.checks import DATABASE, WORKERS, HealthReport, HealthRules, health_report
from monitoring.models import Incident
from papers.models import FetchRun
from publishing.models import DigestDay, Publication
from translations.models import MachineDraft

PREFIX = "arxiv_digest"


def _by_status(name: str, documentation: str, queryset, statuses) -> GaugeMetricFamily:
    counts = dict.fromkeys(statuses, 0)
    counts.update(queryset.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=["status"])
    for status, count in counts.items():
        family.add_metric([status], count)
    return family


def _days_by_digest() -> GaugeMetricFamily:
    counts = {(slug, status): 0 for slug in Digest.objects.values_list("slug", flat=True)
              for status in DigestDay.Status.values}
    counts.update({(slug, status): n for slug, status, n in DigestDay.objects.order_by().values_list(
        "digest__slug", "status").annotate(n=Count("id")).values_list("digest__slug", "status", "n")})
    family = GaugeMetricFamily(f"{PREFIX}_days_by_digest", "Each digest's days by status", labels=["digest", "status"])
    for (slug, status), count in sorted(counts.items()):
        family.add_metric([slug, status], count)
    return family


def _gauge(name: str, documentation: str, value: float | None) -> Iterator[GaugeMetricFamily]:
    if value is not None:
        yield GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class DigestCollector:
    """One scrape's metrics (see the module's docstring)."""

    def __init__(self, *, now: dt.datetime | None = None, rules: HealthRules | None = None) -> None:
        self.now = now
        self.rules = rules or HealthRules()

    def collect(self) -> Iterator[Metric]:
        report = health_report(now=self.now, rules=self.rules)
        yield from self._health(report)
        yield from _gauge("queue_depth", "Tasks waiting in django-q2's broker", _queue_depth())
        if not report.part(DATABASE).ok:
            return
        now = report.checked_at
        yield _by_status("drafts", "Machine drafts by status", MachineDraft.objects, MachineDraft.Status.values)
        yield _by_status("days", "Digest days by status", DigestDay.objects, DigestDay.Status.values)
        yield _days_by_digest()
        recent = Publication.objects.filter(published_at__gte=now - self.rules.recent)
        yield _by_status("email_deliveries", "Email deliveries of the versions published in the last 7 days, by status",
                         EmailDelivery.objects.filter(publication__in=recent), EmailDelivery.Status.values)
        yield _by_status("webhook_deliveries",
                         "Webhook deliveries of the versions published in the last 7 days, by status",
                         WebhookDelivery.objects.filter(publication__in=recent), WebhookDelivery.Status.values)
        last_run = FetchRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").values_list(
            "finished_at", flat=True).first()
        yield from _gauge("seconds_since_morning_run", "Seconds since the last fetch finished",
                          None if last_run is None else (now - last_run).total_seconds())
        yield from _gauge("seconds_since_worker_heartbeat", "Seconds since the workers' scheduler last fired",
                          report.part(WORKERS).age_seconds)
        incidents = GaugeMetricFamily(f"{PREFIX}_incidents_open", "Open incidents by part", labels=["kind"])
        open_counts = dict(Incident.objects.open().order_by().values_list("kind").annotate(n=Count("id")))
        for kind in Incident.Kind.values:
            incidents.add_metric([kind], open_counts.get(kind, 0))
        yield incidents

    def _health(self, report: HealthReport) -> Iterator[GaugeMetricFamily]:
        ok = GaugeMetricFamily(f"{PREFIX}_health_ok", "1 when the part is well (as /readyz reports it)",
                               labels=["part"])
        age = GaugeMetricFamily(f"{PREFIX}_health_age_seconds",
                                "Seconds since the part last showed life, or since its oldest problem began",
                                labels=["part"])
        for part in report.parts:
            ok.add_metric([part.name], 1 if part.ok else 0)
            if part.age_seconds is not None:
                age.add_metric([part.name], part.age_seconds)
        yield ok
        yield age
        yield GaugeMetricFamily(f"{PREFIX}_ready", "1 when every part is well", value=1 if report.ready else 0)


def _queue_depth() -> int | None:
    try:
        return get_broker().queue_size()
    except Exception:  # the broker is down: the health metrics say so
        return None


def metrics_exposition(*, now: dt.datetime | None = None) -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DigestCollector(now=now or timezone.now()))
    return generate_latest(registry), CONTENT_TYPE_LATEST
