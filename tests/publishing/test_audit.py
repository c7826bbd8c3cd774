"""Editorial actions leave one admin LogEntry each, written by publishing.audit; the shell leaves none."""

from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from publishing.audit import audit_log
from publishing.models import DigestDay
from publishing.posts.publication import day_publish, day_unpublish
from publishing.review.services import entry_approve
from tests.builders import approve_all


def test_an_editors_action_is_logged_against_the_object_and_shown_in_its_history(drafted_day, editor, admin_client):
    entry = drafted_day.entries.select_related("paper", "day").first()
    logged = audit_log(user=editor, obj=entry, message="Approved revision 1")
    assert (logged.user, logged.get_edited_object(), logged.action_flag, logged.object_repr) == (
        editor, entry, CHANGE, str(entry))
    history = admin_client.get(reverse("admin:publishing_entry_history", args=[entry.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Approved revision 1" in history.content.decode()


def test_the_shell_acting_without_an_account_leaves_no_log_entry(drafted_day):
    assert audit_log(user=None, obj=drafted_day, message="Published version 1") is None
    assert not LogEntry.objects.exists()


def test_publishing_from_the_shell_is_not_logged_but_a_chief_editors_unpublish_is(
    drafted_day, editor, chief, django_capture_on_commit_callbacks
):
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=None)
        day_unpublish(day=drafted_day, user=chief)
    day_entries = LogEntry.objects.filter(content_type__model="digestday")
    assert list(day_entries.values_list("user__username", "change_message")) == [("chief", "Unpublished (version 1 hidden)")]
    assert DigestDay.objects.get(pk=drafted_day.pk).status == DigestDay.Status.IN_REVIEW


def test_review_moves_are_logged_by_the_same_helper(drafted_day, editor):
    entry = entry_approve(entry=drafted_day.entries.first(), user=editor)
    logged = LogEntry.objects.get()
    assert (logged.user, logged.get_edited_object(), logged.change_message) == (editor, entry, "Approved revision 1")
