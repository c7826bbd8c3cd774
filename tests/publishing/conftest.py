import pytest

from tests.publishing.days import demo_day_drafted, demo_day_published, user_in


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
