"""Bad arguments and files: one line naming the cause, a CommandError (exit 1), nothing changed."""

import json

import pytest
from django.core.management import CommandError, call_command

from papers.models import FetchRun, Paper
from publishing.models import DayTransition, DigestDay, Entry, Publication
from tests.builders import DEMO_DATE, DEMO_FEED, another_day_approved


def database_rows() -> tuple:
    return tuple(model.objects.count() for model in (DigestDay, Entry, Paper, FetchRun, Publication, DayTransition))


def refused(*args) -> str:
    """Run the command, expect a refusal, and return its one-line message."""
    with pytest.raises(CommandError) as failure:
        call_command(*args, verbosity=0)
    message = str(failure.value)
    assert "\n" not in message.strip(), message
    return message


BAD_DATES = [
    ("0001-01-01", "before arXiv's first announcement"),
    ("1991-08-13", "before arXiv's first announcement"),
    ("9999-12-31", "days after today"),
    ("", "is not a date"),
    ("2026-02-30", "is not a date"),
]
DATE_COMMANDS = [
    ("fetch_papers", "--file", DEMO_FEED),
    ("run_daily", "--file", DEMO_FEED),
    ("digest_status",),
    ("translate_day",),
    ("publish_day",),
    ("export_markdown", "--out", "var/never-written"),
]


@pytest.mark.parametrize("date, reason", BAD_DATES)
@pytest.mark.parametrize("command", DATE_COMMANDS, ids=lambda command: command[0])
def test_a_date_out_of_range_or_empty_is_refused_and_changes_nothing(db, command, date, reason):
    before = database_rows()
    message = refused(command[0], "--date", date, *command[1:])
    assert "--date" in message and reason in message
    assert database_rows() == before


def test_unpublish_and_approved_only_together_are_refused(published_day):
    message = refused("publish_day", "--date", f"{DEMO_DATE}", "--unpublish", "--approved-only")
    assert "not allowed with" in message
    published_day.refresh_from_db()
    assert published_day.live_publication is not None


def test_export_into_a_file_is_refused(published_day, tmp_path):
    a_file = tmp_path / "posts.md"
    a_file.write_text("mine")
    assert "is a file, not a folder" in refused("export_markdown", "--date", f"{DEMO_DATE}", "--out", str(a_file))
    assert a_file.read_text() == "mine"


def test_export_where_no_folder_can_be_made_is_refused(published_day, tmp_path):
    a_file = tmp_path / "posts.md"
    a_file.write_text("mine")
    message = refused("export_markdown", "--date", f"{DEMO_DATE}", "--out", str(a_file / "inside"))
    assert "cannot create the folder" in message


def test_export_summary_names_a_written_post_not_a_skipped_one(published_day, editor, tmp_path, capsys):
    # An earlier day, approved but not published: skipped, and listed first.
    another_day_approved(DEMO_DATE.replace(month=1, day=1, year=2025), published_day, editor)
    call_command("export_markdown", "--all", "--out", str(tmp_path))
    summary = capsys.readouterr().out
    assert "1 skipped" in summary and f"e.g. {tmp_path}/{DEMO_DATE}-arxiv.md" in summary


@pytest.mark.parametrize("content, reason", [
    (json.dumps([1, 2, 3]), 'must hold an object {"drafts"'),
    (json.dumps({"drafts": {"2601.90008": "a string"}}), "the draft of 2601.90008 needs the texts"),
    ("{not json", "is not UTF-8 JSON"),
    (b"\xff\xfe", "is not UTF-8 JSON"),
])
def test_load_demo_drafts_refuses_a_file_of_the_wrong_shape(db, tmp_path, content, reason):
    demo_file = tmp_path / "drafts.json"
    demo_file.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert reason in refused("load_demo_drafts", "--file", str(demo_file))


def test_endless_files_are_refused_without_reading_them_whole(db):
    before = database_rows()
    assert "not a demo drafts file" in refused("load_demo_drafts", "--file", "/dev/zero")
    message = refused("fetch_papers", "--date", f"{DEMO_DATE}", "--file", "/dev/zero")
    assert "larger than 64 MB" in message
    # The failed fetch is recorded (as every failed fetch is), and nothing else changed.
    assert FetchRun.objects.get().status == FetchRun.Status.FAILED
    assert database_rows()[:3] == before[:3]
