"""A flagged day is acted on: a chief editor acknowledges the flag with a reason, and the day can go on."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from publishing.days.services import DayStateError, day_acknowledge_attention, day_flag_attention
from publishing.models import DigestDay
from publishing.posts.publication import PublishError, day_publish
from tests.builders import approve_all, collect_single
from tests.fake_arxiv import SimPaper, SimulatedArxiv

STALE = "arXiv announced new papers on Wed 2026-01-07 20:00 US Eastern, but this fetch found none of them"


@pytest.fixture
def flagged_day(drafted_day, editor):
    """The demo day, every entry approved, then flagged by a fetch that found the feed stale."""
    approve_all(drafted_day, editor)
    day_flag_attention(day=drafted_day, step="collect", reason=STALE)
    drafted_day.refresh_from_db()
    return drafted_day


def review_url(day):
    return reverse("admin:publishing_digestday_review", args=[day.pk])


def test_an_acknowledged_day_goes_back_to_review_and_can_be_published(
    flagged_day, chief, django_capture_on_commit_callbacks
):
    with pytest.raises(PublishError, match="needs_attention"):
        day_publish(day=flagged_day, user=chief)

    day = day_acknowledge_attention(day=flagged_day, user=chief, reason="arXiv skipped Thursday (holiday)")

    assert (day.status, day.attention_reason, day.attention_step) == (DigestDay.Status.IN_REVIEW, "", "")
    row = day.transitions.order_by("at", "id").last()
    assert (row.from_status, row.to_status, row.step, row.reason, row.user, row.actor) == (
        "needs_attention", "in_review", "acknowledge", "arXiv skipped Thursday (holiday)", chief, "chief")
    logged = LogEntry.objects.get(content_type__model="digestday")
    assert logged.user == chief and "arXiv skipped Thursday (holiday)" in logged.change_message
    assert STALE in logged.change_message
    with django_capture_on_commit_callbacks(execute=True):
        assert day_publish(day=day, user=chief).created


def test_only_a_chief_editor_may_acknowledge(flagged_day, editor):
    for user in (editor, None):
        with pytest.raises(PermissionDenied):
            day_acknowledge_attention(day=flagged_day, user=user, reason="looks fine")
    flagged_day.refresh_from_db()
    assert flagged_day.status == DigestDay.Status.NEEDS_ATTENTION


def test_acknowledging_needs_a_reason_and_a_flag(flagged_day, drafted_day, chief):
    from django.utils import translation

    with translation.override("en"), pytest.raises(DayStateError, match="Say why"):
        day_acknowledge_attention(day=flagged_day, user=chief, reason="   ")
    flagged_day.refresh_from_db()
    assert flagged_day.status == DigestDay.Status.NEEDS_ATTENTION
    day_acknowledge_attention(day=flagged_day, user=chief, reason="holiday")
    with translation.override("en"), pytest.raises(DayStateError, match="not flagged"):
        day_acknowledge_attention(day=flagged_day, user=chief, reason="again")


def monday_batch_only(local_server, settings) -> SimulatedArxiv:
    """An API still serving Monday's batch only, for Friday 2026-01-09."""
    settings.ARXIV_API_URL = f"{local_server.url}/api/query"
    arxiv = SimulatedArxiv()
    local_server.handler = arxiv
    submitted = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
    arxiv.papers.append(SimPaper("2601.00001", 1, "Old", "cs.SD", ["cs.SD"], submitted, submitted, submitted))
    return arxiv


@pytest.mark.django_db
def test_a_fetch_again_does_not_raise_an_acknowledged_warning_but_raises_a_new_one(local_server, settings, chief):
    arxiv = monday_batch_only(local_server, settings)

    def collect(now):
        arxiv.now = now
        return collect_single(date=dt.date(2026, 1, 9), now=now)

    wednesday_evening = dt.datetime(2026, 1, 8, 1, 0, tzinfo=dt.UTC)  # Tuesday's announcement expected
    day = collect(wednesday_evening).day
    assert "Tue 2026-01-06 20:00" in day.attention_reason
    day_acknowledge_attention(day=day, user=chief, reason="arXiv skipped Tuesday")

    again = collect(wednesday_evening + dt.timedelta(hours=1))
    assert "Tue 2026-01-06 20:00" in again.warning and again.run.warning == again.warning  # still on the run
    day.refresh_from_db()
    assert day.status == DigestDay.Status.COLLECTING

    at_the_anchor = dt.datetime(2026, 1, 9, 1, 0, tzinfo=dt.UTC)  # now Wednesday's is expected: another warning
    collect(at_the_anchor)
    day.refresh_from_db()
    assert day.status == DigestDay.Status.NEEDS_ATTENTION and "Wed 2026-01-07 20:00" in day.attention_reason

    # A fresh fetch that sees the missing papers clears the flag as before.
    fresh = dt.datetime(2026, 1, 7, 16, tzinfo=dt.UTC)
    arxiv.papers.append(SimPaper("2601.00002", 1, "New", "cs.SD", ["cs.SD"], fresh, fresh, fresh))
    collect(at_the_anchor + dt.timedelta(hours=1))
    day.refresh_from_db()
    assert day.status == DigestDay.Status.COLLECTING and day.attention_reason == ""


def test_the_review_page_shows_the_flag_its_history_and_the_chief_editors_form(client, flagged_day, chief, editor):
    client.force_login(editor)
    page = client.get(review_url(flagged_day), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert STALE in page and 'id="flag-history"' in page
    assert 'name="_acknowledge"' not in page

    client.force_login(chief)
    page = client.get(review_url(flagged_day), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="_acknowledge"' in page and "Why the day may go on" in page


def test_acknowledging_on_the_review_page_clears_the_flag_and_shows_it_in_the_history(client, flagged_day, chief):
    client.force_login(chief)
    page = client.get(review_url(flagged_day))
    flag = page.context["acknowledge_form"]["flag"].value()
    response = client.post(review_url(flagged_day), {"_acknowledge": "1", "flag": flag, "reason": "Thanksgiving"},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert "Flag acknowledged: the day is in review again." in response.content.decode()
    flagged_day.refresh_from_db()
    assert flagged_day.status == DigestDay.Status.IN_REVIEW
    history = response.context["flag_history"]
    assert [(row.step, row.reason) for row in history] == [("acknowledge", "Thanksgiving"), ("collect", STALE)]
    assert 'name="_acknowledge"' not in response.content.decode()


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"reason": "  "}, "Say why the day may go on despite the flag."),
        ({"reason": "fine", "flag_offset": 1000}, "flag changed since you opened the page"),
        ({"reason": "fine", "flag": "x"}, "Enter a whole number."),
    ],
    ids=["empty-reason", "a-flag-not-the-current-one", "crafted-flag"],
)
def test_a_refused_acknowledgement_says_why_and_leaves_the_day_flagged(client, flagged_day, chief, posted, message):
    client.force_login(chief)
    flag = client.get(review_url(flagged_day)).context["acknowledge_form"]["flag"].value()
    data = {"_acknowledge": "1", "flag": flag + posted.pop("flag_offset", 0), **posted}
    response = client.post(review_url(flagged_day), data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert message in response.content.decode()
    flagged_day.refresh_from_db()
    assert flagged_day.status == DigestDay.Status.NEEDS_ATTENTION


def test_a_flag_raised_again_for_another_reason_after_the_page_opened_is_not_acknowledged(client, flagged_day, chief):
    client.force_login(chief)
    flag = client.get(review_url(flagged_day)).context["acknowledge_form"]["flag"].value()
    day_flag_attention(day=flagged_day, step="draft", reason="3 machine draft(s) failed")
    response = client.post(review_url(flagged_day), {"_acknowledge": "1", "flag": flag, "reason": "holiday"},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "flag changed since you opened the page" in response.content.decode()
    assert DigestDay.objects.get(pk=flagged_day.pk).status == DigestDay.Status.NEEDS_ATTENTION


def test_an_editor_posting_an_acknowledgement_is_refused(client, flagged_day, editor):
    client.force_login(editor)
    response = client.post(review_url(flagged_day), {"_acknowledge": "1", "flag": 1, "reason": "fine"})
    assert response.status_code == 403
    assert DigestDay.objects.get(pk=flagged_day.pk).status == DigestDay.Status.NEEDS_ATTENTION
