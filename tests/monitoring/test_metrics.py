"""/metrics: Prometheus's text format, read from the database at scrape time, behind a bearer token."""

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from monitoring.checks import PARTS
from tests.monitoring import problems


def scrape(client, token="s3cret-token"):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})


def samples(response) -> dict[tuple[str, tuple], float]:
    families = text_string_to_metric_families(response.content.decode())
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in families for sample in family.samples}


@pytest.mark.django_db
def test_metrics_are_a_404_while_no_token_is_set(client, settings):
    settings.DIGEST_METRICS_TOKEN = ""
    assert scrape(client).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "wrong", "s3cret-token-and-more"])
def test_metrics_need_the_token(client, settings, token):
    settings.DIGEST_METRICS_TOKEN = "s3cret-token"
    response = scrape(client, token)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert b"arxiv_digest" not in response.content


@pytest.mark.django_db
def test_metrics_parse_and_count_what_the_database_holds(client, settings, published_day):
    settings.DIGEST_METRICS_TOKEN = "s3cret-token"
    now = timezone.now()
    problems.morning_well(now)
    problems.workers_dead(now)
    problems.webhook_stuck(now)
    response = scrape(client)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    found = samples(response)
    for part in PARTS:
        assert ("arxiv_digest_health_ok", (("part", part),)) in found
    assert found[("arxiv_digest_health_ok", (("part", "workers"),))] == 0
    assert found[("arxiv_digest_health_ok", (("part", "webhook_deliveries"),))] == 0
    assert found[("arxiv_digest_ready", ())] == 0
    assert found[("arxiv_digest_queue_depth", ())] == 0
    assert found[("arxiv_digest_days", (("status", "published"),))] == 1
    assert found[("arxiv_digest_days", (("status", "needs_attention"),))] == 0
    assert found[("arxiv_digest_days_by_digest", (("digest", "daily"), ("status", "published")))] == 1
    assert found[("arxiv_digest_days_by_digest", (("digest", "daily"), ("status", "collecting")))] == 0
    assert found[("arxiv_digest_drafts", (("status", "succeeded"),))] >= 1
    assert found[("arxiv_digest_webhook_deliveries", (("status", "pending"),))] == 1
    assert found[("arxiv_digest_email_deliveries", (("status", "sent"),))] == 0
    assert found[("arxiv_digest_seconds_since_worker_heartbeat", ())] >= 3600
    assert 0 <= found[("arxiv_digest_seconds_since_morning_run", ())] < 3600
    assert found[("arxiv_digest_incidents_open", (("kind", "workers"),))] == 0  # a scrape opens none


@pytest.mark.django_db
def test_a_scrape_is_a_fixed_number_of_queries(client, settings, django_assert_max_num_queries):
    settings.DIGEST_METRICS_TOKEN = "s3cret-token"
    with django_assert_max_num_queries(22):
        assert scrape(client).status_code == 200
