"""Publishing a day: approved text only, frozen versions, idempotency, unpublishing, who may do it."""

import json
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from publishing.models import DigestDay, Publication, PublishedPaper
from publishing.posts.publication import PublishError, day_publish, day_unpublish
from publishing.review.services import entry_reject
from tests.builders import DEMO_DATE, approve_all, edit


def publish(day, user, capture, **options):
    with capture(execute=True):
        return day_publish(day=day, user=user, **options)


def test_a_day_with_entries_in_review_needs_the_approved_only_choice(drafted_day, editor, chief, django_capture_on_commit_callbacks):
    approve_all(drafted_day, editor, except_positions=[2, 3])
    with pytest.raises(PublishError, match="2 entries not reviewed"):
        publish(drafted_day, chief, django_capture_on_commit_callbacks)
    assert not Publication.objects.exists()

    result = publish(drafted_day, chief, django_capture_on_commit_callbacks, approved_only=True)
    publication = result.publication
    assert result.created and publication.version == 1 and publication.paper_count == 4
    assert publication.markdown.count("\n## ") == 4
    assert "- 抓取总数：6 篇 | 本页显示：4 篇（去重/过滤后）" in publication.markdown
    drafted_day.refresh_from_db()
    assert drafted_day.status == DigestDay.Status.PUBLISHED and drafted_day.live_publication == publication
    assert publication.published_by == chief and publication.published_by_name == "chief"


def test_rejected_entries_are_left_out_without_the_choice(drafted_day, editor, chief, django_capture_on_commit_callbacks):
    approve_all(drafted_day, editor, except_positions=[1])
    entry_reject(entry=drafted_day.entries.get(position=1), user=editor, note="off topic")
    publication = publish(drafted_day, chief, django_capture_on_commit_callbacks).publication
    rejected = drafted_day.entries.get(position=1).paper
    assert rejected.title not in publication.markdown and publication.paper_count == 5


def test_the_published_text_is_the_approved_revision_not_a_later_edit(drafted_day, editor, chief, django_capture_on_commit_callbacks):
    approve_all(drafted_day, editor)
    entry = drafted_day.entries.get(position=1)
    approved_abstract = entry.paper.revisions.get(number=1).abstract_zh
    edit(entry, editor, django_capture_on_commit_callbacks, abstract_zh="编辑之后尚未批准的新摘要。")
    publication = publish(drafted_day, chief, django_capture_on_commit_callbacks, approved_only=True).publication
    assert "尚未批准" not in publication.markdown
    assert approved_abstract not in publication.markdown  # the entry went back to review: not published at all
    assert publication.paper_count == 5


def test_a_correction_makes_version_two_and_every_version_is_kept(drafted_day, editor, chief, django_capture_on_commit_callbacks):
    approve_all(drafted_day, editor)
    first = publish(drafted_day, chief, django_capture_on_commit_callbacks).publication
    entry = drafted_day.entries.get(position=2)
    edit(entry, editor, django_capture_on_commit_callbacks, abstract_zh="更正后的摘要。")
    approve_all(drafted_day, editor, except_positions=[1, 3, 4, 5, 6])
    second = publish(drafted_day, chief, django_capture_on_commit_callbacks).publication
    assert (first.version, second.version) == (1, 2)
    assert "更正后的摘要。" in second.markdown and "更正后的摘要。" not in first.markdown
    first.refresh_from_db()
    assert "更正后的摘要。" not in first.markdown  # version 1 is kept as it was
    assert set(PublishedPaper.objects.live().values_list("publication_id", flat=True)) == {second.pk}
    assert PublishedPaper.objects.filter(publication=first).count() == 6


def test_publishing_an_unchanged_day_again_makes_no_new_version(drafted_day, editor, chief, django_capture_on_commit_callbacks):
    approve_all(drafted_day, editor)
    first = publish(drafted_day, chief, django_capture_on_commit_callbacks)
    again = publish(drafted_day, chief, django_capture_on_commit_callbacks)
    assert first.created and not again.created and not again.went_live
    assert again.publication == first.publication and Publication.objects.count() == 1
    assert PublishedPaper.objects.count() == 6


def test_unpublishing_hides_the_day_and_republishing_unchanged_text_reuses_its_version(
    published_day, chief, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=published_day, user=chief)
    published_day.refresh_from_db()
    assert published_day.live_publication is None and published_day.status == DigestDay.Status.IN_REVIEW
    assert not PublishedPaper.objects.live().exists() and Publication.objects.count() == 1
    result = publish(published_day, chief, django_capture_on_commit_callbacks)
    assert not result.created and result.went_live and result.publication.version == 1
    with pytest.raises(PublishError, match="not published"):
        day_unpublish(day=DigestDay.objects.create(date=DEMO_DATE.replace(day=1), window_start=published_day.window_start,
                                                   window_end=published_day.window_end), user=chief)


def test_a_publication_is_frozen(published_day):
    publication = published_day.live_publication
    publication.markdown = "changed"
    with pytest.raises(ValueError, match="frozen"):
        publication.save()


def test_only_a_chief_editor_publishes_or_unpublishes(drafted_day, editor, chief, django_capture_on_commit_callbacks):
    approve_all(drafted_day, editor)
    with pytest.raises(PermissionDenied):
        publish(drafted_day, editor, django_capture_on_commit_callbacks)
    assert not Publication.objects.exists()
    publish(drafted_day, chief, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        day_unpublish(day=drafted_day, user=editor)
    messages = list(LogEntry.objects.filter(user=chief).values_list("change_message", flat=True))
    assert "Published version 1" in messages


def test_a_day_still_drafting_or_with_nothing_approved_is_refused(drafted_day, chief, django_capture_on_commit_callbacks):
    with pytest.raises(PublishError, match="no approved entries"):
        publish(drafted_day, chief, django_capture_on_commit_callbacks, approved_only=True)
    DigestDay.objects.filter(pk=drafted_day.pk).update(status=DigestDay.Status.DRAFTING)
    with pytest.raises(PublishError, match="only a day in review"):
        publish(drafted_day, chief, django_capture_on_commit_callbacks, approved_only=True)


def test_publish_day_command_and_digest_status(drafted_day, editor, chief):
    out = StringIO()
    with pytest.raises(CommandError, match="not reviewed"):
        call_command("publish_day", "--date", "2026-01-09")
    approve_all(drafted_day, editor)
    call_command("publish_day", "--date", "2026-01-09", stdout=out)
    assert "published version 1 — 6 papers" in out.getvalue()
    publication = Publication.objects.get()
    assert publication.published_by is None and publication.published_by_name.startswith("shell")
    call_command("publish_day", "--date", "2026-01-09", stdout=out)
    assert "nothing changed" in out.getvalue()

    status = StringIO()
    call_command("digest_status", "--date", "2026-01-09", "--json", stdout=status)
    assert json.loads(status.getvalue())["published_version"] == 1
    call_command("publish_day", "--date", "2026-01-09", "--unpublish", "--user", "chief", stdout=out)
    status = StringIO()
    call_command("digest_status", "--date", "2026-01-09", "--json", stdout=status)
    assert json.loads(status.getvalue())["published_version"] is None
    with pytest.raises(CommandError, match="only a chief editor"):
        call_command("publish_day", "--date", "2026-01-09", "--user", "editor")
    with pytest.raises(CommandError, match="not a date"):
        call_command("publish_day", "--date", "2026-02-30")
    with pytest.raises(CommandError, match="no digest day"):
        call_command("publish_day", "--date", "2026-02-01")
