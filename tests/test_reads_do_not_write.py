"""A GET writes nothing: opening any admin list or page, or any public page, leaves the database as it was.

(The days list used to run the drafts' watchdog on every load; the watchdog now runs on its schedule
and in commands.) Django's own bookkeeping of a logged-in request — the session — is allowed to be read,
not written; everything else of ours must not insert, update or delete.
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes_of(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 302), (url, response.status_code)
    return [query["sql"][:120] for query in queries.captured_queries
            if query["sql"].lstrip().upper().startswith(WRITES) and "django_session" not in query["sql"]]


@pytest.fixture
def signed_in(admin_client):
    """A superuser: every admin page is open to them."""
    admin_client.get(reverse("admin:index"))  # the session row exists before anything is measured
    return admin_client


def test_no_admin_list_or_page_writes_on_get(signed_in, published_day, drafted_day_2):
    entry = published_day.entries.first()
    urls = [reverse("admin:index")]
    urls += [reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
             for model in admin.site._registry]
    urls += [reverse("admin:publishing_digestday_review", args=[published_day.pk]),
             reverse("admin:publishing_digestday_change", args=[published_day.pk]),
             reverse("admin:publishing_digestday_publish", args=[drafted_day_2.pk]),
             reverse("admin:publishing_entry_review", args=[entry.pk]),
             reverse("admin:publishing_entry_revisions", args=[entry.pk]),
             reverse("admin:publishing_post_editing")]
    offenders = {url: found for url in urls if (found := writes_of(signed_in, url))}
    assert offenders == {}


def test_no_public_page_writes_on_get(client, published_day):
    paper = published_day.entries.select_related("paper").first().paper
    urls = ["/", "/days/2026-01-09/", "/days/2026-01-09.md", f"/papers/{paper.arxiv_id}/", "/categories/cs.SD/",
            "/categories/cs.SD/feed/", "/search/?q=vocoder", "/feed/", "/feed.json", "/sitemap.xml", "/robots.txt",
            "/subscribe/"]
    offenders = {url: found for url in urls if (found := writes_of(client, url))}
    assert offenders == {}


def test_stuck_drafts_are_shown_not_handled_by_a_page_view(signed_in, settings, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    """The case that used to write: drafts queued past their lease, no worker running."""
    import datetime as dt

    from django.utils import timezone
    from django_q.conf import Conf

    from publishing.days.pipeline import run_daily
    from tests.builders import DEMO_DATE, DEMO_FEED
    from translations.models import MachineDraft

    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, settings.DIGEST_LLM_MODEL = "http://127.0.0.1:9/v1", "k", "m"
    monkeypatch.setattr(Conf, "SYNC", False)
    with django_capture_on_commit_callbacks(execute=True):
        run_daily(date=DEMO_DATE, source="file", files=[DEMO_FEED])
    MachineDraft.objects.update(enqueued_at=timezone.now() - dt.timedelta(hours=2))
    for url in [reverse("admin:index"), reverse("admin:publishing_digestday_changelist"),
                reverse("admin:translations_machinedraft_changelist")]:
        assert writes_of(signed_in, url) == [], url
    assert set(MachineDraft.objects.values_list("status", flat=True)) == {"queued"}
