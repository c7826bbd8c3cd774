import os
from pathlib import Path

import pytest
from django.utils import translation

from tests.builders import demo_day_drafted, demo_day_published, user_in
from tests.local_server import LocalServer

CHECKOUT = Path(__file__).resolve().parents[1]
OWN_DATA = Path(__file__).resolve().parent / "data"
ARXIV_PAYLOADS = OWN_DATA / "arxiv"
# Not the tests' doing: git, the virtualenv, Python's bytecode and pytest's own cache.
NOT_WATCHED = {".git", ".venv", "__pycache__", ".pytest_cache"}


def checkout_files() -> dict[str, tuple[int, int]]:
    """Every file of the checkout, with its size and modification time."""
    found = {}
    for folder, subfolders, files in os.walk(CHECKOUT):
        subfolders[:] = [name for name in subfolders if name not in NOT_WATCHED]
        for name in files:
            path = os.path.join(folder, name)
            status = os.lstat(path)
            found[os.path.relpath(path, CHECKOUT)] = (status.st_size, status.st_mtime_ns)
    return found


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # pytest itself, or pytest-xdist's controller
        session.config.checkout_before = checkout_files()


def pytest_sessionfinish(session):
    """The suite writes into its temporary folders only: a file it created, changed or removed in the
    checkout fails the run (after every xdist worker has finished)."""
    before = getattr(session.config, "checkout_before", None)
    if before is None:
        return
    after = checkout_files()
    written = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    if written:
        session.config.checkout_written = written
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    written = getattr(config, "checkout_written", None)
    if written:
        terminalreporter.section("written into the checkout", sep="=", red=True, bold=True)
        terminalreporter.line("The tests must write only into temporary folders (DIGEST_VAR_DIR, tmp_path); "
                              "this run created, changed or removed:")
        for path in written:
            terminalreporter.line(f"  {path}")


def _serialized_rollback(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction") and marker.kwargs.get("serialized_rollback"))


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items):
    """Among the tests with real transactions (pytest-django runs them last), those with serialized_rollback
    go first. Their snapshot of the database is loaded back over what is there; after another transactional
    test's flush, post_migrate has made the content types again under new ids, and loading the snapshot's
    rows (same app and model, other ids) fails their unique constraint. Before any such flush it cannot.
    A stable reordering within the transactional tests' own places: every process of pytest-xdist makes it alike."""
    places = [index for index, item in enumerate(items) if _transactional(item)]
    ordered = sorted((items[index] for index in places), key=lambda item: not _serialized_rollback(item))
    for index, item in zip(places, ordered):
        items[index] = item


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language. A request with Accept-Language (or a page
    that switches) activates another in the test's thread, and it would stay for whichever test runs
    next there: under pytest-xdist the order changes from run to run."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def content_types_as_stored():
    """Content type ids cached by an earlier test are not trusted. After a test with serialized_rollback
    (the browser's newsroom flow) the tables are emptied without re-creating the content types; the
    next test that needs one (for an admin log entry) creates it in its own transaction, which is
    rolled back, and Django's per-process cache keeps the id: a transactional test after it then
    writes a log entry pointing at a row that is gone (FOREIGN KEY constraint failed). Found when
    test_demo ran after test_newsroom_flow and test_review on one pytest-xdist worker."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def digests_as_stored():
    """The digests the public pages keep for DIGEST_PUBLIC_RECHECK_SECONDS (public/digest_scope.py) are read again:
    a digest an earlier test made was rolled back with it, and no signal says so."""
    from public.digest_scope import public_digests_forget

    public_digests_forget()


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
