from pathlib import Path

import pytest

from tests.builders import demo_day_drafted, demo_day_published, user_in
from tests.local_server import LocalServer

OWN_DATA = Path(__file__).resolve().parent / "data"
ARXIV_PAYLOADS = OWN_DATA / "arxiv"


@pytest.fixture(autouse=True)
def content_types_read_afresh():
    """Each test reads content types from its database, not from this process's cache: a transactional
    test's flush (with serialized_rollback, one that makes none again) leaves cached ids pointing at no
    row, and the next test's admin history (LogEntry) would fail its foreign key."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture
def arxiv_payloads():
    """The real arXiv answers recorded by other arXiv clients, copied unchanged into tests/data/arxiv (see its README)."""
    return ARXIV_PAYLOADS


@pytest.fixture
def own_data():
    return OWN_DATA


@pytest.fixture
def local_server():
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def editor(db):
    return user_in("Editor", "editor")


@pytest.fixture
def chief(db):
    return user_in("Chief editor", "chief")


@pytest.fixture
def drafted_day(db, django_capture_on_commit_callbacks):
    return demo_day_drafted(django_capture_on_commit_callbacks)


@pytest.fixture
def published_day(db, django_capture_on_commit_callbacks, editor, chief):
    return demo_day_published(django_capture_on_commit_callbacks, editor, chief)


@pytest.fixture
def drafted_day_2(published_day, editor):
    """A second day, 2026-01-20, with one entry in review."""
    import datetime as dt

    from publishing.models import DigestDay, Entry
    from tests.builders import another_day_approved

    day = another_day_approved(dt.date(2026, 1, 20), published_day, editor)
    Entry.objects.filter(day=day).update(state=Entry.State.IN_REVIEW, approved_by=None, approved_at=None,
                                         approved_revision=None)
    return DigestDay.objects.get(pk=day.pk)


@pytest.fixture
def delivery_switched_on(transactional_db):
    """Delivery on for the tests' instance, as `migrate` leaves a new installation. A transactional test may
    start on tables that a serialized_rollback test's flush emptied without post_migrate: no switch at all,
    so mail and webhooks would be held (delivery/switch.py)."""
    from delivery.switch import delivery_enable_new_installation

    delivery_enable_new_installation()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    from tests.smtp_server import SmtpServer

    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "arXiv Daily <digest@example.org>"
    settings.DIGEST_SITE_URL = "https://digest.example.org"
    yield server
    server.stop()
