"""Each kind of failure alerts the team once, by mail (a real SMTP server) and webhook (a real HTTP server),
and once more when it recovers; a failure to alert is recorded, never raised."""

import json
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from monitoring import incidents
from monitoring.alerts import AlertMessage, webhook_body, webhook_kind
from monitoring.checks import health_report
from monitoring.incidents import incidents_evaluate
from monitoring.models import Incident
from tests.local_server import Reply
from tests.monitoring import problems


@pytest.fixture
def team(settings, smtp_server, local_server):
    """The team's mailbox and chat: the alerts go to both."""
    local_server.handler = lambda request: Reply(status=200, body=b"ok", headers={"Content-Type": "text/plain"})
    settings.DIGEST_ALERT_EMAILS = [("On call", "oncall@example.org")]
    settings.DIGEST_ALERT_WEBHOOK_URL = f"{local_server.url}/alerts"
    settings.DIGEST_ALERT_WEBHOOK_KIND = "auto"
    return smtp_server, local_server


def told(team) -> list[tuple[str, str]]:
    """What the team was told so far: (mail subject, webhook event) pairs, in order. The chat also carries
    the newsroom's notifications (a day ready for review, when a test builds one): not alerts."""
    mailbox, chat = team
    events = [event for event in (json.loads(request.body) for request in chat.requests)
              if event["event"].startswith("incident.")]
    assert len(mailbox.received) == len(events)
    return [(mail.message["Subject"], event["event"]) for mail, event in zip(mailbox.received, events)]


def evaluate():
    return incidents_evaluate(report=health_report(now=timezone.now()))


KINDS = {
    "workers": (problems.workers_dead, problems.workers_alive, "FAILING: workers' heartbeat"),
    "morning_run": (problems.morning_failed, problems.morning_mended, "FAILING: morning run"),
    "stale_feed": (problems.morning_stale, problems.morning_stale_mended, "FAILING: morning run"),
    "drafts": (problems.drafts_failed, problems.drafts_mended, "FAILING: machine drafts"),
    "publication_overdue": (problems.publication_overdue, problems.publications_mended,
                            "FAILING: scheduled publication #"),
    "publication_failed": (problems.publication_failed, problems.publications_mended,
                           "FAILING: scheduled publication #"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_alerts_once_and_once_more_on_recovery(team, kind):
    breaks, mends, subject = KINDS[kind]
    now = timezone.now()
    problems.morning_well(now)
    evaluate()
    assert told(team) == []

    breaks(now)
    first = evaluate()
    assert len(first.opened) == 1 and told(team)[-1][1] == "incident.opened"
    assert subject in told(team)[-1][0]
    incident = Incident.objects.get()
    assert incident.alerted_at is not None and incident.alert_error == ""
    # Every few minutes the schedule looks again: still failing, nobody is told again.
    again = evaluate()
    assert again.opened == [] and again.resolved == [] and len(told(team)) == 1
    assert Incident.objects.get().last_seen_at > incident.last_seen_at

    mends(timezone.now())
    recovered = evaluate()
    assert len(recovered.resolved) == 1
    assert [event for _subject, event in told(team)] == ["incident.opened", "incident.resolved"]
    assert "RECOVERED" in told(team)[-1][0]
    incident.refresh_from_db()
    assert incident.resolved_at is not None and incident.recovery_alerted_at is not None
    evaluate()
    assert len(told(team)) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("breaks, mends, part", [
    (problems.email_stuck, problems.email_mended, "email_deliveries"),
    (problems.webhook_stuck, problems.webhook_mended, "webhook_deliveries"),
])
def test_stuck_deliveries_alert_once_and_recover(team, published_day, breaks, mends, part):
    now = timezone.now()
    problems.morning_well(now)
    breaks(now)
    evaluate()
    evaluate()
    assert [event for _subject, event in told(team)] == ["incident.opened"]
    assert Incident.objects.get().kind == part
    mends(timezone.now())
    evaluate()
    assert [event for _subject, event in told(team)] == ["incident.opened", "incident.resolved"]


@pytest.mark.django_db
def test_the_mail_and_the_generic_webhook_say_what_failed(team):
    problems.drafts_failed(timezone.now())
    evaluate()
    mailbox, chat = team
    mail = mailbox.received[0]
    assert mail.rcpt_tos == ["oncall@example.org"]
    assert "1 machine draft(s) failed (2601.05011): timeout" in mail.message.get_content()
    assert "/admin/monitoring/incident/" in mail.message.get_content()
    body = json.loads(chat.requests[0].body)
    assert body["kind"] == "drafts" and body["subject"] == str(problems.morning_date(timezone.now()))
    assert "timeout" in body["detail"] and body["resolved_at"] is None


@pytest.mark.django_db
def test_an_alert_that_cannot_go_out_is_recorded_and_never_raised(settings, local_server):
    local_server.handler = lambda request: Reply(status=500, body=b"down", headers={"Content-Type": "text/plain"})
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    settings.DIGEST_ALERT_EMAILS = [("", "oncall@example.org")]
    settings.DIGEST_ALERT_WEBHOOK_URL = f"{local_server.url}/alerts"
    problems.drafts_failed(timezone.now())
    evaluation = evaluate()
    incident = Incident.objects.get()
    assert evaluation.opened == [incident] and incident.alerted_at is None
    assert incident.alert_error.splitlines()[0].startswith("email: ConnectionRefusedError")
    assert incident.alert_error.splitlines()[1] == "webhook: HTTP 500 down"
    assert "the team was told" not in "\n".join(evaluation.lines())


@pytest.mark.django_db
def test_with_no_channel_the_incident_says_nobody_was_told(settings):
    problems.drafts_failed(timezone.now())
    evaluate()
    assert Incident.objects.get().alert_error == incidents.NO_CHANNEL


@pytest.mark.django_db
def test_one_open_incident_per_part_and_subject():
    now = timezone.now()
    Incident.objects.create(kind="workers", subject="", first_detail="x", last_detail="x", opened_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(kind="workers", subject="", first_detail="y", last_detail="y", opened_at=now)
    Incident.objects.update(resolved_at=now)
    Incident.objects.create(kind="workers", subject="", first_detail="z", last_detail="z", opened_at=now)  # again


@pytest.mark.django_db
def test_two_evaluations_of_one_report_alert_once(team):
    """As two workers that made the same report: the second finds the incident open and only notes it."""
    problems.workers_dead(timezone.now())
    report = health_report()
    assert len(incidents_evaluate(report=report).opened) == 1
    assert incidents_evaluate(report=report).opened == []
    assert len(told(team)) == 1 and Incident.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_evaluations_at_once_alert_once(team, monkeypatch):
    """Two threads (two connections) insert at the same moment; the constraint lets one through."""
    problems.workers_dead(timezone.now())
    both_ready = threading.Barrier(2, timeout=30)
    opened = []
    real_open = incidents._open

    def open_together(**kwargs):
        both_ready.wait()
        return real_open(**kwargs)

    monkeypatch.setattr(incidents, "_open", open_together)

    def one_worker():
        try:
            opened.extend(incidents_evaluate(report=health_report()).opened)
        finally:
            connection.close()

    workers = [threading.Thread(target=one_worker) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(opened) == 1 and Incident.objects.count() == 1
    assert len(told(team)) == 1


def test_the_webhook_kind_is_told_by_the_host():
    assert webhook_kind("https://hooks.slack.com/services/T0/B0/x") == "slack"
    assert webhook_kind("https://open.feishu.cn/open-apis/bot/v2/hook/x") == "feishu"
    assert webhook_kind("https://open.larksuite.com/open-apis/bot/v2/hook/x") == "feishu"
    assert webhook_kind("https://oapi.dingtalk.com/robot/send?access_token=x") == "dingtalk"
    assert webhook_kind("https://alerts.example.org/digest") == "generic"
    assert webhook_kind("https://hooks.slack.com.example.org/x") == "generic"
    assert webhook_kind("https://alerts.example.org/digest", "feishu") == "feishu"


def test_chat_bodies_keep_what_a_check_found_as_text(settings):
    message = AlertMessage(event="opened", incident_id=1, kind="drafts", subject="2026-01-09",
                           detail="failed: <!channel> <at user_id=\"all\">", opened_at=timezone.now())
    assert "<!channel>" not in webhook_body(message, "slack")["text"]
    assert "<at" not in webhook_body(message, "feishu")["content"]["text"]
    assert webhook_body(message, "dingtalk")["msgtype"] == "text"
