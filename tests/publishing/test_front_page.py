"""The editor's front page: the days still at work, with progress, flags, failed drafts and approved
changes not yet published, and the editor's own last edits."""

from django.urls import reverse

from publishing.days.services import day_flag_attention
from publishing.posts.publication import day_publish
from publishing.review.services import entry_approve
from tests.builders import approve_all, edit


def test_the_front_page_lists_the_days_at_work_and_my_edits(client, published_day, drafted_day_2, editor,
                                                            django_capture_on_commit_callbacks):
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh="编辑首页上的更正")
    entry_approve(entry=entry, user=editor)
    day_flag_attention(day=drafted_day_2, step="collect", reason="the feed looked stale at 08:50")
    client.force_login(editor)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="front-day-2026-01-09"' in page and "1 approved change not published" in page
    assert 'id="front-day-2026-01-20"' in page and "the feed looked stale at 08:50" in page
    assert "0 awaiting draft · 1 in review · 0 approved · 0 rejected (of 1)" in page
    assert "编辑首页上的更正" in page.split('id="front-edits"')[1]


def test_a_day_published_and_up_to_date_is_not_at_work(client, published_day, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="front-day-2026-01-09"' not in page and "Every day is published and up to date." in page


def test_an_entry_left_in_review_on_a_published_day_is_counted(client, drafted_day, editor, chief,
                                                              django_capture_on_commit_callbacks):
    """What demo_setup leaves: the day published with its approved entries, entry 6 still in review."""
    approve_all(drafted_day, editor, except_positions=(6,))
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief, approved_only=True)
    client.force_login(editor)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Every day is published and up to date." not in page
    assert 'id="front-day-2026-01-09"' in page and "0 awaiting draft · 1 in review" in page
    assert "1 entry is still awaiting a draft or in review (days concerned: 1)." in page
