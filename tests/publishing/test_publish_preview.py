"""Publishing goes through a look at what readers will get: the papers added, removed and changed
against the live version (with diffs), approved changes not yet published, and publications
scheduled for a time."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_q.models import Schedule

from publishing.models import Publication, ScheduledPublication
from publishing.posts.preview import publication_preview, unpublished_changes
from publishing.posts.scheduling import (
    SchedulingError,
    day_schedule_publication,
    scheduled_publication_cancel,
    scheduled_publication_run,
)
from publishing.review.services import entry_approve, entry_reopen
from tests.builders import edit


def corrected(day, editor, capture, **text):
    entry = day.entries.select_related("paper").get(position=1)
    edit(entry, editor, capture, **text)
    entry_approve(entry=entry, user=editor)
    return entry


def test_the_preview_of_a_correction_shows_the_changed_field_as_a_diff(published_day, editor,
                                                                     django_capture_on_commit_callbacks):
    entry = corrected(published_day, editor, django_capture_on_commit_callbacks, title_zh="全新的中文标题")
    preview = publication_preview(day=published_day)
    assert [(change.kind, change.arxiv_id) for change in preview.changes] == [("changed", entry.paper.arxiv_id)]
    (label, diff), = preview.changes[0].diffs
    assert "<ins class=\"diff-ins\">" in diff and "全新的中文标题"[:2] in diff
    assert preview.unchanged == 5 and preview.new_version == 2 and preview.live_version == 1


def test_added_and_removed_papers_are_listed(published_day, editor, django_capture_on_commit_callbacks):
    entry = published_day.entries.get(position=2)
    entry_reopen(entry=entry, user=editor)
    assert "not reviewed" in publication_preview(day=published_day).problem
    preview = publication_preview(day=published_day, approved_only=True)
    assert [change.kind for change in preview.changes] == ["removed"] and preview.paper_count == 5


def test_the_day_page_says_how_many_approved_changes_are_not_published(client, published_day, editor, chief,
                                                                      django_capture_on_commit_callbacks):
    corrected(published_day, editor, django_capture_on_commit_callbacks, abstract_zh="更正的摘要。")
    assert len(unpublished_changes(day=published_day)) == 1
    client.force_login(chief)
    page = client.get(reverse("admin:publishing_digestday_review", args=[published_day.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 approved change not published yet." in page


def test_publishing_from_the_confirmation_makes_version_2(client, published_day, editor, chief,
                                                         django_capture_on_commit_callbacks):
    corrected(published_day, editor, django_capture_on_commit_callbacks, title_zh="新标题")
    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[published_day.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Readers now see version 1." in page and "Publishing makes version 2 with 6 papers." in page
    assert "0 added, 0 removed, 1 changed, 5 unchanged." in page
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"content_hash": content_hash})
    assert response.status_code == 302
    published_day.refresh_from_db()
    assert published_day.live_publication.version == 2


def test_a_confirmation_that_no_longer_matches_is_refused(client, published_day, editor, chief,
                                                          django_capture_on_commit_callbacks):
    corrected(published_day, editor, django_capture_on_commit_callbacks, title_zh="新标题")
    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[published_day.pk])
    page = client.post(url, {"content_hash": "0" * 64}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "changed since you looked" in page and Publication.objects.count() == 1


def test_a_publication_scheduled_for_later_runs_once_with_what_is_approved_then(
        published_day, editor, chief, django_capture_on_commit_callbacks):
    at = timezone.now() + dt.timedelta(hours=1)
    scheduled = day_schedule_publication(day=published_day, user=chief, publish_at=at)
    schedule = Schedule.objects.get(name=scheduled.schedule_name)
    assert (schedule.func, schedule.schedule_type, schedule.args) == (
        "publishing.tasks.scheduled_publication_task", Schedule.ONCE, str(scheduled.pk))
    corrected(published_day, editor, django_capture_on_commit_callbacks, title_zh="之后批准的标题")
    with django_capture_on_commit_callbacks(execute=True):
        done = scheduled_publication_run(scheduled_id=scheduled.pk)
    assert done.status == ScheduledPublication.Status.DONE and done.outcome == "version 2"
    assert scheduled_publication_run(scheduled_id=scheduled.pk) is None  # a second firing does nothing
    assert Publication.objects.count() == 2
    assert Publication.objects.get(version=2).published_by == chief


def test_scheduling_in_the_past_is_refused_and_a_cancelled_one_never_runs(published_day, chief):
    with pytest.raises(SchedulingError, match="已经过去，请选择更晚的时间"), translation.override("zh-hans"):
        # (Only the admin schedules: the refusal is in the editor's language.)
        day_schedule_publication(day=published_day, user=chief, publish_at=timezone.now() - dt.timedelta(minutes=1))
    scheduled = day_schedule_publication(day=published_day, user=chief,
                                         publish_at=timezone.now() + dt.timedelta(hours=1))
    scheduled_publication_cancel(scheduled=scheduled, user=chief)
    assert not Schedule.objects.filter(name=scheduled.schedule_name).exists()
    assert scheduled_publication_run(scheduled_id=scheduled.pk) is None


def test_a_chief_editor_schedules_from_the_confirmation_page(client, published_day, chief):
    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[published_day.pk])
    later = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"publish_at": later, "content_hash": ""})
    assert response.status_code == 302
    scheduled = ScheduledPublication.objects.get()
    assert scheduled.scheduled_by == chief and scheduled.status == "pending"


def test_publish_day_at_a_terminal_shows_the_changes_and_asks(published_day, editor, monkeypatch, capsys,
                                                              django_capture_on_commit_callbacks):
    from django.core.management import CommandError, call_command

    corrected(published_day, editor, django_capture_on_commit_callbacks, title_zh="终端里的新标题")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    with pytest.raises(CommandError, match="not confirmed"):
        call_command("publish_day", "--date", f"{published_day.date}")
    shown = capsys.readouterr().out
    assert "publishing makes version 2 with 6 papers: 0 added, 0 removed, 1 changed, 5 unchanged" in shown
    assert Publication.objects.count() == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_day", "--date", f"{published_day.date}")
    assert Publication.objects.count() == 2


@pytest.mark.parametrize("work, expected", [("unpublished", True), ("not_published", False), ("review", False)])
def test_the_days_list_shows_progress_and_unpublished_changes(client, published_day, editor, chief, work, expected,
                                                              django_capture_on_commit_callbacks):
    corrected(published_day, editor, django_capture_on_commit_callbacks, title_zh="列表里看得到的更正")
    client.force_login(chief)
    changelist = reverse("admin:publishing_digestday_changelist")
    page = client.get(changelist, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6 of 6 reviewed · 6 approved" in page and "yes: see what changed" in page
    filtered = client.get(f"{changelist}?work={work}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ('class="field-date' in filtered) is expected


def test_a_published_day_up_to_date_has_no_unpublished_changes(client, published_day, chief):
    client.force_login(chief)
    page = client.get(reverse("admin:publishing_digestday_changelist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "yes: see what changed" not in page
