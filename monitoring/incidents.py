"""Incidents from health reports: the only code that writes an Incident.

`incidents_evaluate` reads a report (monitoring.checks) and, for every part it could check:

1. each problem with no open incident opens one (an insert under the constraint "one open incident
   per part and subject": of two evaluations at once, the one whose insert wins tells the team; the
   other finds it open and only notes it was seen again);
2. each open incident whose problem is gone is resolved by a conditional update (`resolved_at` still
   empty), and the evaluation whose update touched the row sends the recovery;
3. the alerts go out after the rows are written; what happened to each is recorded on its row.

A part the report could not check (the database went away mid-report) neither opens nor resolves
anything. With the database down nothing is evaluated: there is nowhere to remember what was said,
and an alert each time would be the noise this module exists to avoid. Watch /readyz from outside
for that (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.alerts import OPENED, RESOLVED, AlertMessage, alert_channels, alert_send
from monitoring.checks import DATABASE, HealthReport, health_report
from monitoring.models import Incident

NO_CHANNEL = "not sent: neither DIGEST_ALERT_EMAILS nor DIGEST_ALERT_WEBHOOK_URL is set"


@dataclass
class Evaluation:
    opened: list[Incident] = field(default_factory=list)
    resolved: list[Incident] = field(default_factory=list)
    still_open: int = 0
    skipped: str = ""  # why nothing was evaluated

    def lines(self) -> list[str]:
        if self.skipped:
            return [f"incidents not evaluated: {self.skipped}"]
        lines = [f"opened {_name(incident)}: {incident.first_detail}" + _told(incident.alerted_at, incident.alert_error)
                 for incident in self.opened]
        lines += [f"resolved {_name(incident)}" + _told(incident.recovery_alerted_at, incident.recovery_error)
                  for incident in self.resolved]
        return lines + [f"incidents open: {self.still_open}"]


def _name(incident: Incident) -> str:
    """The part's name as check_health's lines print it (not the admin's translated label), and the subject."""
    return f"{incident.kind} {incident.subject}".strip()


def _told(sent_at: dt.datetime | None, error: str) -> str:
    if sent_at:
        return " (the team was told)"
    return f" ({error})" if error else ""


def incidents_evaluate(*, report: HealthReport | None = None, alert: bool = True,
                       client: httpx.Client | None = None) -> Evaluation:
    """Open, note and resolve incidents from the report (the steps are in the module's docstring)."""
    report = report or health_report()
    if not report.part(DATABASE).ok:
        return Evaluation(skipped="the database is unreachable")
    now = report.checked_at
    checked = [part for part in report.parts if part.checked and part.name in Incident.Kind.values]
    found = {(part.name, problem.subject): problem.detail for part in checked for problem in part.problems}
    evaluation = Evaluation()
    for (kind, subject), detail in found.items():
        incident = _open(kind=kind, subject=subject, detail=detail, now=now)
        if incident is not None:
            evaluation.opened.append(incident)
    for incident in Incident.objects.open().filter(kind__in=[part.name for part in checked]):
        if (incident.kind, incident.subject) not in found and _resolve(incident, now=now):
            evaluation.resolved.append(incident)
    if alert:
        for incident in evaluation.opened:
            _tell(incident, OPENED, client)
        for incident in evaluation.resolved:
            _tell(incident, RESOLVED, client)
    evaluation.still_open = Incident.objects.open().count()
    return evaluation


def _open(*, kind: str, subject: str, detail: str, now: dt.datetime) -> Incident | None:
    """The new incident, or None when one is open already (then only marked seen again)."""
    try:
        with transaction.atomic():
            return Incident.objects.create(kind=kind, subject=subject, first_detail=detail, last_detail=detail,
                                           opened_at=now, last_seen_at=now)
    except IntegrityError:
        Incident.objects.open().filter(kind=kind, subject=subject).update(last_detail=detail, last_seen_at=now)
        return None


def _resolve(incident: Incident, *, now: dt.datetime) -> bool:
    """Resolve it, once: False when another evaluation resolved it first."""
    if not Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(resolved_at=now):
        return False
    incident.resolved_at = now
    return True


def _tell(incident: Incident, event: str, client: httpx.Client | None) -> None:
    """Send the alert and record on the row when it went, or why not. Never raises."""
    message = AlertMessage(event=event, incident_id=incident.pk, kind=incident.kind, subject=incident.subject,
                           detail=incident.first_detail if event == OPENED else incident.last_detail,
                           opened_at=incident.opened_at, resolved_at=incident.resolved_at)
    channels = alert_channels()
    failures = alert_send(message, client=client) if channels else [NO_CHANNEL]
    # Sent when some channel took it; a channel that did not is named in the error beside it.
    sent_at = timezone.now() if len(failures) < len(channels) else None
    error = "\n".join(failures)
    if event == OPENED:
        incident.alerted_at, incident.alert_error = sent_at, error
        fields = ["alerted_at", "alert_error"]
    else:
        incident.recovery_alerted_at, incident.recovery_error = sent_at, error
        fields = ["recovery_alerted_at", "recovery_error"]
    incident.save(update_fields=fields)
