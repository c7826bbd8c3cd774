"""Is the digest well? Each part of the system checked by a plain function that reads and never writes.

`health_report` runs them all and returns a `HealthReport`: one `PartHealth` per part, each with the
problems found (a `Problem` names its subject within the part: a date, a scheduled publication; the
alerts open one incident per part and subject). The readiness probe (/readyz), `check_health`, the
alerts' evaluation and the metrics all read the same report, so they never disagree.

The parts, in order: the database, the task broker, the workers' heartbeat, the last morning run,
drafts that failed, scheduled publications overdue or failed, stuck email and webhook deliveries, the public
pages written as files.
Each check is a query or two; the whole report is about a dozen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_q.brokers import Broker, get_broker

from delivery.models import EmailDelivery, WebhookDelivery
from delivery.webhooks import TIMEOUT_SECONDS as WEBHOOK_TIMEOUT_SECONDS
from digest_site.health_signals import archive_files_health_asked
from digests.models import Digest
from papers.models import FetchRun
from publishing.days.schedule import workers_status
from publishing.days.services import COLLECT_STEP, DRAFT_STEP
from publishing.days.windows import current_digest_date, digest_timezone
from publishing.models import DigestDay, Publication, ScheduledPublication

DATABASE = "database"
BROKER = "broker"
WORKERS = "workers"
MORNING_RUN = "morning_run"
DRAFTS = "drafts"
SCHEDULED_PUBLICATIONS = "scheduled_publications"
EMAIL_DELIVERIES = "email_deliveries"
WEBHOOK_DELIVERIES = "webhook_deliveries"
ARCHIVE_FILES = "archive_files"
PARTS = (DATABASE, BROKER, WORKERS, MORNING_RUN, DRAFTS, SCHEDULED_PUBLICATIONS, EMAIL_DELIVERIES, WEBHOOK_DELIVERIES,
         ARCHIVE_FILES)


@dataclass(frozen=True)
class Problem:
    subject: str  # what, within its part: a date, "#12"; "" for the part as a whole
    detail: str


@dataclass(frozen=True)
class PartHealth:
    name: str
    ok: bool
    detail: str
    # Seconds since the part last showed life (heartbeat, run) or since its oldest problem began.
    age_seconds: float | None = None
    problems: tuple[Problem, ...] = ()
    # False: the check could not run (the database went away); its part says nothing either way.
    checked: bool = True

    @classmethod
    def well(cls, name: str, detail: str, age_seconds: float | None = None) -> PartHealth:
        return cls(name, True, detail, _rounded(age_seconds))

    @classmethod
    def failing(cls, name: str, problems: list[Problem] | tuple[Problem, ...], age_seconds: float | None = None
                ) -> PartHealth:
        detail = "; ".join(f"{problem.subject}: {problem.detail}" if problem.subject else problem.detail
                           for problem in problems)
        return cls(name, False, detail, _rounded(age_seconds), tuple(problems))

    @classmethod
    def unchecked(cls, name: str, why: str) -> PartHealth:
        return cls(name, False, f"not checked: {why}", checked=False)

    def as_json(self) -> dict:
        return {"ok": self.ok, "detail": self.detail, "age_seconds": self.age_seconds,
                "problems": [{"subject": problem.subject, "detail": problem.detail} for problem in self.problems]}


@dataclass(frozen=True)
class HealthReport:
    parts: tuple[PartHealth, ...]
    checked_at: dt.datetime

    @property
    def ready(self) -> bool:
        return all(part.ok for part in self.parts)

    def part(self, name: str) -> PartHealth:
        return next(part for part in self.parts if part.name == name)

    def as_json(self) -> dict:
        return {"ready": self.ready, "checked_at": self.checked_at.isoformat(),
                "parts": {part.name: part.as_json() for part in self.parts}}


@dataclass(frozen=True)
class HealthRules:
    """How late is too late. The defaults follow the settings; tests pass their own."""

    # After the anchor, how long the morning job may take to leave its run record.
    morning_grace: dt.timedelta = dt.timedelta(minutes=15)
    # A fetch still running after this is dead (papers.services fails it as interrupted at the next fetch).
    run_lifetime: dt.timedelta = dt.timedelta(hours=1)
    # A scheduled publication still pending this long after its time is overdue.
    publication_overdue_after: dt.timedelta = dt.timedelta(minutes=5)
    # Deliveries due, or claimed and past their lease, this long ago are stuck (the sweep runs every few minutes).
    delivery_stuck_after: dt.timedelta = dt.timedelta(minutes=15)
    # Only recent days' draft flags, publications' failures and versions' deliveries count.
    recent: dt.timedelta = dt.timedelta(days=7)
    # A failed scheduled publication counts until its day is published, or for this long.
    failed_publication_counts_for: dt.timedelta = dt.timedelta(days=1)
    # A task may run this long: a scheduled publication `running` longer has lost its worker.
    task_lifetime: dt.timedelta = field(default_factory=lambda: dt.timedelta(seconds=settings.Q_CLUSTER["timeout"]))


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _local(moment: dt.datetime) -> str:
    return f"{moment.astimezone(digest_timezone()):%Y-%m-%d %H:%M}"


def database_check(*, now: dt.datetime) -> PartHealth:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return PartHealth.failing(DATABASE, [Problem("", f"unreachable ({connection.vendor}): {reason}")])
    return PartHealth.well(DATABASE, f"reachable ({connection.vendor})")


def broker_check(*, now: dt.datetime, broker: Broker | None = None) -> PartHealth:
    """The broker answers a ping and says how many tasks wait (the ORM broker: a count of its queue table)."""
    try:
        broker = broker or get_broker()
        kind = broker.__class__.__name__.lower()
        if not broker.ping():
            return PartHealth.failing(BROKER, [Problem("", f"{kind}: no answer to a ping")])
        waiting = broker.queue_size()
    except Exception as exc:  # each broker's client raises its own errors (redis, the ORM's, …)
        return PartHealth.failing(BROKER, [Problem("", f"unreachable: {exc.__class__.__name__}: {exc}")])
    return PartHealth.well(BROKER, f"{kind}: answers, {waiting} task(s) waiting")


def workers_check(*, now: dt.datetime) -> PartHealth:
    """The drafts' watchdog Schedule is the workers' heartbeat (publishing.days.schedule.workers_status)."""
    status = workers_status(now)
    age = status.beat_age(now)
    if status.alive is False:
        return PartHealth.failing(WORKERS, [Problem("", status.message)], age)
    return PartHealth.well(WORKERS, status.message, age)


def morning_date(now: dt.datetime, digest: Digest | None = None) -> dt.date:
    """The latest digest date whose anchor (and so its morning job) has come: the digest's own anchor and
    time zone (the settings', the first digest's, if none is named)."""
    anchor, tz = (digest.anchor, digest.tz) if digest else (settings.DIGEST_ANCHOR, digest_timezone())
    today = current_digest_date(now, tz=tz)
    return today if now >= dt.datetime.combine(today, anchor, tzinfo=tz) else today - dt.timedelta(days=1)


def _every_digest() -> list[Digest]:
    return list(Digest.objects.all()) or [Digest.objects.home()]


def _digests_health(name: str, healths: list[PartHealth]) -> PartHealth:
    """One part's health from each digest's (each detail and subject already naming its digest)."""
    failing = [health for health in healths if not health.ok]
    if failing:
        ages = [health.age_seconds for health in failing if health.age_seconds is not None]
        return PartHealth.failing(name, [problem for health in failing for problem in health.problems],
                                  max(ages, default=None))
    ages = [health.age_seconds for health in healths if health.age_seconds is not None]
    return PartHealth.well(name, "; ".join(health.detail for health in healths), max(ages, default=None))


def morning_run_check(*, now: dt.datetime, rules: HealthRules) -> PartHealth:
    """Each digest's last morning: its fetch run, succeeded, and found what arXiv announced (no stale-feed
    flag on its day). One fetch serves the digests that share an anchor (FetchRun.serves).

    A new installation (no fetch ever) is well: it has not had its first morning yet; so is a digest
    added since its last morning's anchor. With several digests each problem names its digest.
    """
    digests = _every_digest()
    if len(digests) == 1:
        return _morning_run_of(digests[0], now=now, rules=rules, label="", first=True)
    return _digests_health(MORNING_RUN, [
        _morning_run_of(digest, now=now, rules=rules, label=f"[{digest.slug}] ", first=index == 0)
        for index, digest in enumerate(digests)])


def _morning_run_of(digest: Digest, *, now: dt.datetime, rules: HealthRules, label: str, first: bool) -> PartHealth:
    date = morning_date(now, digest)
    subject = f"{label}{date}"
    runs = FetchRun.objects.filter(digest_date=date).order_by("-started_at", "-id")
    run = runs.first() if not label else next((run for run in runs[:50] if run.serves(digest)), None)
    anchor = dt.datetime.combine(date, digest.anchor, tzinfo=digest.tz)
    if run is None:
        if not FetchRun.objects.exists():
            return PartHealth.well(MORNING_RUN, f"{label}no morning run yet (a new installation)")
        if not first and digest.created_at > anchor - dt.timedelta(days=1):
            return PartHealth.well(MORNING_RUN, f"{label}no morning run yet (a new digest)")
        due = anchor + rules.morning_grace
        if now < due:
            return PartHealth.well(MORNING_RUN, f"{label}{date}: due at {_local(anchor)}")
        return PartHealth.failing(MORNING_RUN, [Problem(subject, f"no fetch for {date} since its anchor "
                                                                 f"({_local(anchor)}): did the morning job run?")],
                                  (now - anchor).total_seconds())
    age = (now - (run.finished_at or run.started_at)).total_seconds()
    if run.status == FetchRun.Status.FAILED:
        return PartHealth.failing(MORNING_RUN, [Problem(subject, f"fetch #{run.pk} failed: {run.error}")], age)
    if run.status == FetchRun.Status.RUNNING:
        if now - run.started_at > rules.run_lifetime:
            return PartHealth.failing(MORNING_RUN, [Problem(
                subject, f"fetch #{run.pk} still running since {_local(run.started_at)}: its process has died")], age)
        return PartHealth.well(MORNING_RUN, f"{label}{date}: fetch #{run.pk} running since {_local(run.started_at)}",
                               age)
    day = DigestDay.objects.filter(date=date, digest=digest).only("status", "attention_step", "attention_reason").first()
    # What the fetch kept for this digest (the run's own count before digests).
    kept = run.digest_counts.get(digest.slug, {}).get("kept", run.kept) if run.digest_counts else run.kept
    fetched = run.digest_counts.get(digest.slug, {}).get("fetched", run.fetched) if run.digest_counts else run.fetched
    if day and day.status == DigestDay.Status.NEEDS_ATTENTION and day.attention_step == COLLECT_STEP:
        return PartHealth.failing(MORNING_RUN, [Problem(subject, f"fetch #{run.pk} kept {kept}: "
                                                                 f"{day.attention_reason}")], age)
    return PartHealth.well(MORNING_RUN, f"{label}{date}: fetch #{run.pk} succeeded at "
                                        f"{_local(run.finished_at or run.started_at)}, fetched {fetched}, kept {kept}",
                           age)


def drafts_check(*, now: dt.datetime, rules: HealthRules) -> PartHealth:
    """Recent days the draft step flagged (a draft failed, or no LLM is configured), every digest's; with
    several digests each names its digest."""
    since = current_digest_date(now) - rules.recent
    flagged = list(DigestDay.objects.filter(status=DigestDay.Status.NEEDS_ATTENTION, attention_step=DRAFT_STEP,
                                            date__gte=since).order_by("date", "digest__position", "digest_id")
                   .values_list("date", "digest__slug", "attention_reason"))
    if flagged:
        several = Digest.objects.count() > 1
        return PartHealth.failing(DRAFTS, [Problem(f"[{slug}] {date}" if several else f"{date}", reason)
                                           for date, slug, reason in flagged])
    return PartHealth.well(DRAFTS, "no recent day flagged by the draft step")


def scheduled_publications_check(*, now: dt.datetime, rules: HealthRules) -> PartHealth:
    """Orders still pending past their time (no worker ran them), running past a task's life, or failed
    recently and not made good since (the day published by hand after the failure)."""
    overdue = Q(status=ScheduledPublication.Status.PENDING, publish_at__lt=now - rules.publication_overdue_after) | Q(
        status=ScheduledPublication.Status.RUNNING,
        publish_at__lt=now - rules.task_lifetime - rules.publication_overdue_after)
    published_since = Publication.objects.filter(day=OuterRef("day"), published_at__gte=OuterRef("publish_at"))
    failed = Q(status=ScheduledPublication.Status.FAILED, publish_at__gte=now - rules.failed_publication_counts_for,
               published_since=False)
    rows = list(ScheduledPublication.objects.annotate(published_since=Exists(published_since))
                .filter(overdue | failed).select_related("day__digest").order_by("publish_at")
                .only("status", "publish_at", "outcome", "day__date", "day__digest__slug"))
    if not rows:
        return PartHealth.well(SCHEDULED_PUBLICATIONS, "none overdue or failed")
    several = Digest.objects.count() > 1
    problems = []
    for row in rows:
        when = _local(row.publish_at)
        day = f"[{row.day.digest.slug}] {row.day.date}" if several else f"{row.day.date}"
        if row.status == ScheduledPublication.Status.FAILED:
            problems.append(Problem(f"#{row.pk}", f"publishing {day} at {when} failed: {row.outcome}"))
        else:
            problems.append(Problem(f"#{row.pk}", f"publishing {day} at {when} is overdue ({row.status})"))
    return PartHealth.failing(SCHEDULED_PUBLICATIONS, problems, (now - rows[0].publish_at).total_seconds())


def _stuck(name: str, what: str, groups: list[tuple[str, int, dt.datetime | None]], now: dt.datetime) -> PartHealth:
    """One problem for the channel as a whole: how many rows are stuck and how, and since when."""
    found = [(label, count, since) for label, count, since in groups if count]
    if not found:
        return PartHealth.well(name, f"no {what} stuck")
    oldest = min(since for _label, _count, since in found if since is not None)
    detail = ", ".join(f"{count} {label} (oldest since {_local(since)})" for label, count, since in found)
    return PartHealth.failing(name, [Problem("", detail)], (now - oldest).total_seconds())


def _count_and_oldest(queryset, moment: str) -> tuple[int, dt.datetime | None]:
    rows = list(queryset.order_by(moment).values_list(moment, flat=True)[:1])
    return (queryset.count() if rows else 0), (rows[0] if rows else None)


def email_deliveries_check(*, now: dt.datetime, rules: HealthRules) -> PartHealth:
    """Rows of recent versions `sending` past their lease, or `pending` and due, for longer than the sweep
    needs to hand them out again. Read through the (publication, status) index."""
    cutoff = now - rules.delivery_stuck_after
    recent = EmailDelivery.objects.filter(publication__in=Publication.objects.filter(published_at__gte=now - rules.recent))
    sending = recent.filter(status=EmailDelivery.Status.SENDING, claimed_until__lt=cutoff)
    pending = recent.filter(Q(next_try_at__isnull=True, created_at__lt=cutoff) | Q(next_try_at__lt=cutoff),
                            status=EmailDelivery.Status.PENDING)
    return _stuck(EMAIL_DELIVERIES, "email deliveries", [
        ("sending past their lease", *_count_and_oldest(sending, "claimed_until")),
        ("pending and due", *_count_and_oldest(pending, "created_at")),
    ], now)


def webhook_deliveries_check(*, now: dt.datetime, rules: HealthRules) -> PartHealth:
    """Announcements `sending` long after their try began (a try lasts TIMEOUT_SECONDS), or `pending` and due."""
    cutoff = now - rules.delivery_stuck_after
    recent = WebhookDelivery.objects.filter(
        publication__in=Publication.objects.filter(published_at__gte=now - rules.recent))
    sending = recent.filter(status=WebhookDelivery.Status.SENDING,
                            last_tried_at__lt=cutoff - dt.timedelta(seconds=WEBHOOK_TIMEOUT_SECONDS))
    pending = recent.filter(Q(next_try_at__isnull=True, created_at__lt=cutoff) | Q(next_try_at__lt=cutoff),
                            status=WebhookDelivery.Status.PENDING)
    return _stuck(WEBHOOK_DELIVERIES, "webhook deliveries", [
        ("sending for too long", *_count_and_oldest(sending, "last_tried_at")),
        ("pending and due", *_count_and_oldest(pending, "created_at")),
    ], now)


def archive_files_check(*, now: dt.datetime) -> PartHealth:
    """The public pages written as files (public/archive_files/): days whose files could not be brought up to
    date after a publish, a folder that cannot be written. Asked through a signal: the public site sits
    beside monitoring, and neither imports the other."""
    problems = [Problem(subject, detail) for _receiver, answer in archive_files_health_asked.send(sender=None, now=now)
                for subject, detail in (answer or [])]
    if problems:
        return PartHealth.failing(ARCHIVE_FILES, problems)
    return PartHealth.well(ARCHIVE_FILES, "every published change is in the archive's files (or they are off)")


def _guarded(name: str, check: Callable[[], PartHealth]) -> PartHealth:
    """A check that fails on the database (a lost connection mid-report) reports its part as failing."""
    try:
        return check()
    except DatabaseError as exc:
        return PartHealth.unchecked(name, f"{exc.__class__.__name__}: {exc}")


def health_report(*, now: dt.datetime | None = None, rules: HealthRules | None = None,
                  broker: Broker | None = None) -> HealthReport:
    """Every part's health. With the database down, the parts that read it are reported unchecked."""
    now = now or timezone.now()
    rules = rules or HealthRules()
    database = database_check(now=now)
    broker_health = broker_check(now=now, broker=broker)
    if not database.ok:
        unchecked = [PartHealth.unchecked(name, "the database is unreachable") for name in PARTS[2:]]
        return HealthReport((database, broker_health, *unchecked), now)
    checks = {
        WORKERS: lambda: workers_check(now=now),
        MORNING_RUN: lambda: morning_run_check(now=now, rules=rules),
        DRAFTS: lambda: drafts_check(now=now, rules=rules),
        SCHEDULED_PUBLICATIONS: lambda: scheduled_publications_check(now=now, rules=rules),
        EMAIL_DELIVERIES: lambda: email_deliveries_check(now=now, rules=rules),
        WEBHOOK_DELIVERIES: lambda: webhook_deliveries_check(now=now, rules=rules),
        ARCHIVE_FILES: lambda: archive_files_check(now=now),
    }
    return HealthReport((database, broker_health, *(_guarded(name, check) for name, check in checks.items())), now)
