"""export_markdown, the admin's publish actions and markdown downloads, and the Jekyll _posts mirror."""

import datetime as dt
import io
import re
import zipfile
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from publishing.days.windows import current_digest_date
from publishing.models import DigestDay, Publication
from publishing.posts.publication import day_publish, day_unpublish
from publishing.posts.sweep import publishing_sweep
from tests.builders import another_day_approved, approve_all, edit, home_digest_set


def export(*args):
    out = StringIO()
    call_command("export_markdown", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_export_is_byte_identical_to_the_raw_page_and_idempotent(client, published_day, tmp_path):
    summary = export("--date", "2026-01-09", "--out", str(tmp_path))
    post = tmp_path / "2026-01-09-arxiv.md"
    assert post.read_bytes() == client.get("/days/2026-01-09.md").content
    assert "1 written" in summary
    modified = post.stat().st_mtime_ns
    assert "1 unchanged" in export("--date", "2026-01-09", "--out", str(tmp_path))
    assert post.stat().st_mtime_ns == modified and sorted(p.name for p in tmp_path.iterdir()) == ["2026-01-09-arxiv.md"]
    plain = tmp_path / "plain"
    plain.write_text("x")
    assert post.stat().st_mode == plain.stat().st_mode  # readable like any file the user writes


def test_ranges_and_all_export_published_days_only_by_default(published_day, tmp_path):
    other = DigestDay.objects.create(date="2026-01-08", window_start=published_day.window_start,
                                     window_end=published_day.window_end)
    assert "1 skipped" in export("--from", "2026-01-01", "--to", "2026-01-31", "--out", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["2026-01-09-arxiv.md"]
    assert "exported 1 days" in export("--all", "--out", str(tmp_path / "all"))
    with pytest.raises(CommandError, match="not published"):
        export("--date", str(other.date), "--out", str(tmp_path))


def test_include_unpublished_exports_the_approved_entries_only(drafted_day, editor, tmp_path):
    approve_all(drafted_day, editor, except_positions=[1])
    with pytest.raises(CommandError, match="include-unpublished"):
        export("--date", "2026-01-09", "--out", str(tmp_path))
    export("--date", "2026-01-09", "--out", str(tmp_path), "--include-unpublished")
    text = (tmp_path / "2026-01-09-arxiv.md").read_text()
    assert text.count("\n## ") == 5 and "本页显示：5 篇" in text
    assert drafted_day.entries.get(position=1).paper.title not in text


def test_bad_export_arguments(tmp_path):
    with pytest.raises(CommandError, match="not a date"):
        export("--date", "2026-13-01", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="--from needs --to"):
        export("--from", "2026-01-01", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="is after"):
        export("--from", "2026-02-01", "--to", "2026-01-01", "--out", str(tmp_path))


def test_the_suffix_is_a_setting(published_day, tmp_path, settings):
    settings.DIGEST_EXPORT_SUFFIX = "-daily"
    export("--date", "2026-01-09", "--out", str(tmp_path))
    assert (tmp_path / "2026-01-09-daily.md").is_file()


def test_publishing_mirrors_the_post_into_a_jekyll_posts_folder(drafted_day, editor, chief, tmp_path, settings,
                                                                 django_capture_on_commit_callbacks):
    home_digest_set(export_dir=str(tmp_path / "_posts"))  # seeded from DIGEST_JEKYLL_POSTS_DIR
    approve_all(drafted_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=drafted_day, user=chief)
    post = tmp_path / "_posts" / "2026-01-09-arxiv.md"
    assert post.read_text() == Publication.objects.get().markdown
    with django_capture_on_commit_callbacks(execute=True):
        day_unpublish(day=drafted_day, user=chief)
    assert not post.exists()


def changelist_action(client, action, *days, **extra):
    return client.post(reverse("admin:publishing_digestday_changelist"),
                       {"action": action, "_selected_action": [day.pk for day in days], **extra})


def confirmed_action(client, action, *days):
    """The action as a chief editor does it: look at the confirmation page, then say yes to what it showed."""
    page = changelist_action(client, action, *days)
    assert page.status_code == 200, "a confirmation page first"
    hashes = dict(re.findall(r'name="(hash-\d+)" value="([0-9a-f]*)"', page.content.decode()))
    return changelist_action(client, action, *days, post="yes", **hashes)


def test_a_chief_editor_publishes_and_unpublishes_from_the_admin(client, drafted_day, editor, chief):
    approve_all(drafted_day, editor, except_positions=[6])
    client.force_login(chief)
    page = changelist_action(client, "publish_days", drafted_day).content.decode()
    assert "还有 1 个条目未审校" in page and not Publication.objects.exists()
    confirmation = changelist_action(client, "publish_days_approved_only", drafted_day).content.decode()
    assert not Publication.objects.exists(), "nothing happens before the chief editor says yes"
    # In the site's language: "5 added, 0 removed, 0 changed, 0 unchanged".
    assert "新增 5 篇，移除 0 篇，更改 0 篇，未变 0 篇。" in confirmation
    confirmed_action(client, "publish_days_approved_only", drafted_day)
    drafted_day.refresh_from_db()
    assert drafted_day.live_publication.version == 1 and drafted_day.live_publication.paper_count == 5
    page = client.get(reverse("admin:publishing_digestday_changelist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/days/2026-01-09/"' in page
    confirmed_action(client, "unpublish_days", drafted_day)
    drafted_day.refresh_from_db()
    assert drafted_day.live_publication is None
    assert LogEntry.objects.filter(user=chief, change_message__startswith="Unpublished").exists()


def test_a_confirmation_of_what_changed_since_is_refused(client, drafted_day, editor, chief):
    approve_all(drafted_day, editor, except_positions=[6])
    client.force_login(chief)
    page = changelist_action(client, "publish_days_approved_only", drafted_day).content.decode()
    hashes = dict(re.findall(r'name="(hash-\d+)" value="([0-9a-f]*)"', page))
    approve_all(drafted_day, editor, except_positions=[1, 2, 3, 4, 5])  # the sixth is approved meanwhile
    changelist_action(client, "publish_days_approved_only", drafted_day, post="yes", **hashes)
    assert not Publication.objects.exists()


def test_an_editors_crafted_publish_request_is_refused(client, drafted_day, editor):
    approve_all(drafted_day, editor)
    client.force_login(editor)
    page = client.get(reverse("admin:publishing_digestday_changelist")).content.decode()
    assert "publish_days" not in page  # the action is not offered
    for action in ("publish_days", "publish_days_approved_only"):
        changelist_action(client, action, drafted_day, post="yes")
    assert not Publication.objects.exists()
    drafted_day.refresh_from_db()
    assert drafted_day.status == DigestDay.Status.IN_REVIEW


def test_download_markdown_one_day_or_a_zip_of_several(client, published_day, editor):
    client.force_login(editor)
    one = changelist_action(client, "download_markdown", published_day)
    assert one["Content-Disposition"] == 'attachment; filename="2026-01-09-arxiv.md"'
    assert one.content == client.get("/days/2026-01-09.md").content
    empty = DigestDay.objects.create(date="2026-01-07", window_start=published_day.window_start,
                                     window_end=published_day.window_end)
    assert changelist_action(client, "download_markdown", empty).status_code == 302  # a message, no file
    in_review = another_day_approved(dt.date(2026, 1, 10), published_day, editor)
    several = changelist_action(client, "download_markdown", published_day, empty, in_review)
    assert several["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(several.content))
    assert archive.namelist() == ["2026-01-09-arxiv.md", "2026-01-10-arxiv.md"]
    assert archive.read("2026-01-09-arxiv.md") == one.content
    assert b"2601.70000v" in archive.read("2026-01-10-arxiv.md")


def test_every_version_can_be_downloaded_from_the_publications_admin(client, published_day, editor, chief,
                                                                    django_capture_on_commit_callbacks):
    edit(published_day.entries.get(position=1), editor, django_capture_on_commit_callbacks, abstract_zh="新版。")
    approve_all(published_day, editor, except_positions=[2, 3, 4, 5, 6])
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=published_day, user=chief)
    client.force_login(editor)
    first = Publication.objects.get(version=1)
    response = client.get(reverse("admin:publishing_publication_markdown", args=[first.pk]))
    assert response.content == first.markdown.encode()
    assert "新版。" not in response.content.decode()
    listing = client.get(reverse("admin:publishing_publication_changelist")).content.decode()
    assert listing.count("/markdown/") == 2


def test_the_day_review_page_publishes_for_a_chief_editor_and_refuses_an_editor(client, drafted_day, editor, chief):
    approve_all(drafted_day, editor, except_positions=[6])
    url = reverse("admin:publishing_digestday_review", args=[drafted_day.pk])
    publish_url = reverse("admin:publishing_digestday_publish", args=[drafted_day.pk])
    client.force_login(editor)
    page = client.get(url).content.decode()
    assert publish_url not in page  # no publishing for an editor
    assert client.get(publish_url).status_code == 403
    assert client.post(publish_url, {"approved_only": "1"}).status_code == 403  # a crafted request
    assert not Publication.objects.exists()

    client.force_login(chief)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{publish_url}"' not in page and f'href="{publish_url}?approved_only=1"' in page  # one not reviewed
    preview = client.get(f"{publish_url}?approved_only=1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Publishing makes version 1 with 5 papers." in preview and not Publication.objects.exists()
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', preview).group(1)
    client.post(publish_url, {"approved_only": "1", "content_hash": content_hash})
    drafted_day.refresh_from_db()
    assert drafted_day.live_publication.paper_count == 5
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Readers see version 1." in page and 'href="/days/2026-01-09/"' in page
    unpublish_url = reverse("admin:publishing_digestday_unpublish", args=[drafted_day.pk])
    assert "Unpublishing takes the day off" in client.get(unpublish_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post(unpublish_url)
    drafted_day.refresh_from_db()
    assert drafted_day.live_publication is None


def test_a_day_published_ahead_reaches_the_jekyll_posts_folder_when_its_date_comes(
        published_day, editor, chief, tmp_path, settings, django_capture_on_commit_callbacks):
    home_digest_set(export_dir=str(tmp_path / "_posts"))  # seeded from DIGEST_JEKYLL_POSTS_DIR
    today = current_digest_date()
    ahead = another_day_approved(today + dt.timedelta(days=2), published_day, editor)
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=ahead, user=chief)
    assert not (tmp_path / "_posts").exists() or not list((tmp_path / "_posts").iterdir())  # not public yet
    assert publishing_sweep().posts_come_due == 0
    # Two days on: its date has come (the day and its publication moved back instead of the clock).
    DigestDay.objects.filter(pk=ahead.pk).update(date=today)
    Publication.objects.filter(day=ahead).update(published_at=timezone.now() - dt.timedelta(days=2))
    assert publishing_sweep().posts_come_due == 1
    post = tmp_path / "_posts" / f"{today:%Y-%m-%d}-arxiv.md"
    assert post.read_text() == Publication.objects.get(day=ahead).markdown
    written = post.stat().st_mtime_ns
    assert publishing_sweep().posts_come_due == 0 and post.stat().st_mtime_ns == written  # once
