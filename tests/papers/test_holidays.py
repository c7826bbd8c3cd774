"""arXiv holidays: rows editors add in the admin (with DIGEST_ARXIV_HOLIDAYS beside them), which the stale check uses."""

import datetime as dt

import pytest
from django.urls import reverse

from papers.models import ArxivHoliday
from publishing.models import DigestDay
from tests.builders import collect_single, user_in
from tests.fake_arxiv import SimPaper, SimulatedArxiv

THANKSGIVING = dt.date(2026, 11, 26)  # a Thursday: arXiv makes no announcement that evening


def wednesday_batch(arxiv: SimulatedArxiv) -> None:
    """Papers submitted before Wednesday 2026-11-25 14:00 EST, announced that evening; nothing on Thursday."""
    for number, hour in enumerate((1, 9, 15), start=1):
        submitted = dt.datetime(2026, 11, 25, hour, tzinfo=dt.UTC)
        arxiv.papers.append(SimPaper(f"2611.0000{number}", 1, f"Paper {number}", "cs.SD", ["cs.SD"], submitted,
                                     submitted, dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)))


def collect_the_morning_after_thanksgiving(local_server, settings) -> DigestDay:
    """Friday's and Saturday's days (Beijing). Saturday's anchor (Fri 19:50 EST) is the first to expect Thursday's announcement."""
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    wednesday_batch(arxiv)
    for date in (dt.date(2026, 11, 27), dt.date(2026, 11, 28)):
        arxiv.now = dt.datetime.combine(date, dt.time(0, 51), tzinfo=dt.UTC)  # 08:51 Beijing
        collect_single(date=date, now=arxiv.now)
    return DigestDay.objects.get(date=dt.date(2026, 11, 28))


@pytest.mark.django_db
def test_without_the_holiday_the_day_after_thanksgiving_is_flagged_stale(local_server, settings):
    day = collect_the_morning_after_thanksgiving(local_server, settings)
    assert day.status == DigestDay.Status.NEEDS_ATTENTION
    assert "Thu 2026-11-26 20:00" in day.attention_reason and "arXiv holidays" in day.attention_reason


@pytest.mark.django_db
def test_thanksgiving_added_as_a_row_keeps_the_next_mornings_day_unflagged(local_server, settings):
    ArxivHoliday.objects.create(date=THANKSGIVING, note="Thanksgiving")
    day = collect_the_morning_after_thanksgiving(local_server, settings)
    assert day.status == DigestDay.Status.COLLECTING and day.attention_reason == ""
    assert not DigestDay.objects.filter(status=DigestDay.Status.NEEDS_ATTENTION).exists()


@pytest.mark.django_db
def test_the_environment_variable_still_adds_holidays(local_server, settings):
    settings.DIGEST_ARXIV_HOLIDAYS = [THANKSGIVING]
    ArxivHoliday.objects.create(date=dt.date(2026, 12, 24), note="Christmas Eve")
    assert ArxivHoliday.objects.known_dates() == [THANKSGIVING, dt.date(2026, 12, 24)]
    day = collect_the_morning_after_thanksgiving(local_server, settings)
    assert day.status == DigestDay.Status.COLLECTING


@pytest.mark.django_db
@pytest.mark.parametrize("group", ["Editor", "Chief editor"])
def test_editors_and_chief_editors_add_holidays_in_the_admin(client, group):
    client.force_login(user_in(group, "someone"))
    response = client.post(reverse("admin:papers_arxivholiday_add"), {"date": "2026-11-26", "note": "Thanksgiving"})
    assert response.status_code == 302
    assert ArxivHoliday.objects.get().note == "Thanksgiving"
    assert client.get(reverse("admin:papers_arxivholiday_changelist")).status_code == 200


@pytest.mark.django_db
def test_only_a_chief_editor_deletes_a_holiday_and_staff_without_a_role_see_none(client):
    holiday = ArxivHoliday.objects.create(date=THANKSGIVING)
    delete = reverse("admin:papers_arxivholiday_delete", args=[holiday.pk])
    client.force_login(user_in("Editor", "editor"))
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.force_login(user_in("Chief editor", "chief"))
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not ArxivHoliday.objects.exists()
    client.force_login(user_in(None, "visitor"))
    assert client.get(reverse("admin:papers_arxivholiday_changelist")).status_code == 403


@pytest.mark.django_db
def test_a_friday_is_refused_as_a_holiday_since_arxiv_never_announces_then(client):
    client.force_login(user_in("Editor", "editor"))
    response = client.post(reverse("admin:papers_arxivholiday_add"), {"date": "2026-11-27", "note": "Beijing date"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "never announces on a Friday or Saturday" in response.content.decode()
    assert not ArxivHoliday.objects.exists()
