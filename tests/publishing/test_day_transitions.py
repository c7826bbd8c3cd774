"""Every change of a day's status leaves a row: from, to, step, reason, who or which job, when."""

import pytest
from django.core.management import call_command

from publishing.days.services import (
    DayStateError,
    acting_as,
    day_clear_attention,
    day_flag_attention,
    day_move,
)
from publishing.models import DayTransition, DigestDay
from publishing.posts.publication import day_unpublish
from tests.builders import DEMO_DATE, DEMO_FEED, approve_all


def moves(day) -> list[tuple[str, str, str]]:
    return list(day.transitions.order_by("at", "id").values_list("from_status", "to_status", "step"))


def test_a_day_collected_and_drafted_has_its_history(drafted_day):
    assert moves(drafted_day) == [
        ("", "collecting", "collect"),
        ("collecting", "drafting", "draft"),
        ("drafting", "in_review", "draft"),
    ]


def test_flagging_and_clearing_record_step_reason_and_job(drafted_day):
    with acting_as("fetch_papers (shell:test)"):
        day_flag_attention(day=drafted_day, step="collect", reason="the feed still shows yesterday")
        day_flag_attention(day=drafted_day, step="collect", reason="the feed still shows yesterday")  # same: no row
        day_flag_attention(day=drafted_day, step="collect", reason="still stale an hour later")
        day_clear_attention(day=drafted_day, step="collect", reason="a fresh fetch saw it")
    rows = list(drafted_day.transitions.order_by("at", "id"))[-3:]
    assert [(row.from_status, row.to_status, row.reason) for row in rows] == [
        ("in_review", "needs_attention", "the feed still shows yesterday"),
        ("needs_attention", "needs_attention", "still stale an hour later"),
        ("needs_attention", "in_review", "a fresh fetch saw it"),
    ]
    assert {row.actor for row in rows} == {"fetch_papers (shell:test)"}
    drafted_day.refresh_from_db()
    assert drafted_day.status == DigestDay.Status.IN_REVIEW and drafted_day.attention_reason == ""


def test_publishing_records_the_chief_editor(published_day, chief, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=published_day, user=chief)
    published, unpublished = published_day.transitions.order_by("at", "id")[3:]
    assert (published.to_status, published.user, published.actor, published.reason) == (
        "published", chief, "chief", "version 1")
    assert (unpublished.from_status, unpublished.to_status, unpublished.step) == ("published", "in_review", "publish")
    assert "version 1" in unpublished.reason


def test_a_move_the_state_does_not_allow_is_refused_and_leaves_no_row(drafted_day):
    before = DayTransition.objects.count()
    with pytest.raises(DayStateError):
        day_move(day=drafted_day, to=DigestDay.Status.COLLECTING)
    assert DayTransition.objects.count() == before


def test_commands_name_themselves_in_the_history(db, capsys):
    call_command("fetch_papers", "--date", f"{DEMO_DATE}", "--file", DEMO_FEED, verbosity=0)
    first = DigestDay.objects.get(date=DEMO_DATE).transitions.get()
    assert first.actor.startswith("fetch_papers (shell") and first.user is None


def test_publishing_from_the_shell_names_the_command(drafted_day, editor, django_capture_on_commit_callbacks):
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_day", "--date", f"{DEMO_DATE}", verbosity=0)
    latest = drafted_day.transitions.order_by("-at", "-id").first()
    assert latest.to_status == "published" and latest.actor.startswith("publish_day (shell")


def test_editors_see_the_history_in_the_admin(client, editor, drafted_day):
    day_flag_attention(day=drafted_day, step="collect", reason="no papers of the 2026-01-08 announcement")
    client.force_login(editor)
    page = client.get(f"/admin/publishing/digestday/{drafted_day.pk}/change/").content.decode()
    assert "no papers of the 2026-01-08 announcement" in page
