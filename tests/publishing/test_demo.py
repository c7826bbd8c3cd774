"""The demo runs again and again: demo_setup (what ./scripts/demo.sh does before serving) skips what is done."""

import os
import sqlite3
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from digests.models import Digest
from publishing.models import DigestDay, Entry, Publication
from translations.memory import memory_suggestions
from translations.models import GlossaryTerm, MachineDraft

REPO_ROOT = Path(__file__).resolve().parents[2]


def demo_setup(out: Path) -> str:
    output = StringIO()
    call_command("demo_setup", "--out", str(out), stdout=output, stderr=StringIO())
    return output.getvalue()


@pytest.fixture
def demo_settings(settings, tmp_path, delivery_switched_on):
    settings.DEBUG = True  # the demo's commands refuse to run without it
    settings.VAR_DIR = tmp_path  # the webhook receiver's log, not in the checkout
    settings.DIGEST_LLM_MODEL = ""


@pytest.mark.django_db(transaction=True)  # the drafts move the day on after commit, as in the real demo
def test_the_demo_setup_runs_twice_and_the_second_run_skips_what_is_done(demo_settings, tmp_path):
    first = demo_setup(tmp_path)
    day = DigestDay.objects.get(date="2026-01-09", digest=Digest.objects.home())
    assert day.status == DigestDay.Status.PUBLISHED
    # The second digest, from the same fetch: its papers are the first's cross-listed ones, drafted once.
    second_day = DigestDay.objects.get(date="2026-01-09", digest__slug="speech-language")
    assert second_day.status == DigestDay.Status.PUBLISHED and Publication.objects.count() == 2
    shared = set(second_day.entries.values_list("paper_id", flat=True))
    assert shared and shared <= set(day.entries.values_list("paper_id", flat=True))
    assert MachineDraft.objects.filter(paper_id__in=shared).count() == len(shared)
    assert "Admin account created: username 'admin', password '" in first
    assert "Translation memory: 4 units imported" in first
    # The entry left for review is offered a close match from the demo's memory.
    waiting = Entry.objects.select_related("paper").get(state=Entry.State.IN_REVIEW)
    assert memory_suggestions(waiting.paper)
    assert "starter glossary: 289 terms added, 0 already in the glossary" in first
    assert GlossaryTerm.objects.get(term="large language model").forbidden == ["法学硕士"]
    password = User.objects.get(username="admin").password
    post = tmp_path / "2026-01-09-arxiv.md"
    assert post.exists()
    post.unlink()

    second = demo_setup(tmp_path)

    assert "2026-01-09 is already published in every digest: skipping" in second
    assert "Admin account 'admin' exists: reusing it, its password unchanged" in second
    assert "starter glossary: 0 terms added, 289 already in the glossary (left as they are)" in second
    assert User.objects.get(username="admin").password == password
    assert Publication.objects.count() == 2 and Entry.objects.filter(state=Entry.State.IN_REVIEW).count() == 1
    assert post.exists(), "the post is exported again"


@pytest.mark.django_db(transaction=True)
def test_a_demo_day_collected_but_not_published_is_finished_by_the_next_run(demo_settings, tmp_path):
    call_command("fetch_papers", "--date", "2026-01-09", "--file", str(REPO_ROOT / "demo/arxiv-api-demo-2026-01-09.xml"),
                 stdout=StringIO(), stderr=StringIO())
    output = demo_setup(tmp_path)
    assert "already published" not in output
    assert set(DigestDay.objects.filter(date="2026-01-09").values_list("status", flat=True)) == {
        DigestDay.Status.PUBLISHED}


@pytest.mark.django_db
def test_demo_admin_gives_a_new_password_only_when_asked(settings):
    settings.DEBUG = True
    call_command("demo_admin", stdout=StringIO())
    before = User.objects.get(username="admin").password
    call_command("demo_admin", stdout=StringIO())
    assert User.objects.get(username="admin").password == before
    output = StringIO()
    call_command("demo_admin", "--reset-password", stdout=output)
    assert User.objects.get(username="admin").password != before
    assert "given a new password: username 'admin', password '" in output.getvalue()


def demo_sh(*arguments: str, **variables) -> subprocess.CompletedProcess:
    """The real script, on the project's settings (not the tests'), with the caller's database unset."""
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="digest_site.settings", **variables)
    return subprocess.run([str(REPO_ROOT / "scripts" / "demo.sh"), *arguments], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=180)


def test_demo_reset_deletes_the_sqlite_database_and_starts_over(tmp_path):
    (tmp_path / "db.sqlite3").write_text("an old demo database")
    # An address runserver refuses: the script stops where it would start serving.
    result = demo_sh("--reset", DIGEST_VAR_DIR=str(tmp_path), ADDRESS="no-such-address")
    assert f"starting over: deleting {tmp_path}/db.sqlite3" in result.stdout
    assert "Admin account created" in result.stdout and "published version 1" in result.stdout
    # A new installation delivers with no command (delivery/switch.py): the day is mailed and announced.
    assert "email edition to reader@example.org: sent" in result.stdout
    assert "webhook: delivered, HTTP 200" in result.stdout
    assert "==> serving" in result.stdout and "is not a valid port number" in result.stderr
    assert (tmp_path / "export" / "2026-01-09-arxiv.md").exists()


def test_demo_reset_deletes_what_the_demo_wrote_and_nothing_else_and_leaves_no_queue(tmp_path):
    """The mail and the webhook log of the old database link into it: a reset takes them too."""
    (tmp_path / "db.sqlite3").write_text("an old demo database")
    (tmp_path / "mail").mkdir()
    old_mail = tmp_path / "mail" / "20260101-080000-140512843725648.log"
    old_mail.write_text("Subject: 请确认订阅 (a link into the old database)")
    (tmp_path / "demo-webhook.log").write_text("OLD DELIVERY\n")
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "2026-01-09-arxiv.md").write_text("OLD POST")
    not_the_demos = [tmp_path / "notes.txt", tmp_path / "mail" / "keep-me.txt", tmp_path / "export" / "2025-12-31-mine.md"]
    for path in not_the_demos:
        path.write_text("mine")

    result = demo_sh("--reset", DIGEST_VAR_DIR=str(tmp_path), ADDRESS="no-such-address")

    assert "published version 1" in result.stdout, result.stderr
    assert not old_mail.exists()
    assert "OLD DELIVERY" not in (tmp_path / "demo-webhook.log").read_text()
    assert "OLD POST" not in (tmp_path / "export" / "2026-01-09-arxiv.md").read_text()
    assert [path.read_text() for path in not_the_demos] == ["mine"] * 3
    assert len(list((tmp_path / "mail").glob("*.log"))) == 2, "the new run's confirmation and edition"
    # The demo runs no worker: nothing it queued may be left for the first worker started later to replay.
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        assert database.execute("SELECT count(*) FROM django_q_ormq").fetchone() == (0,)


def test_demo_reset_refuses_a_database_named_by_database_url(tmp_path):
    database = tmp_path / "db.sqlite3"
    database.write_text("not to be deleted")
    result = demo_sh("--reset", DIGEST_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 1
    assert "DATABASE_URL is set, so nothing was deleted" in result.stderr
    assert database.read_text() == "not to be deleted"


def test_demo_refuses_an_unknown_argument():
    result = demo_sh("--rest")
    assert result.returncode == 2 and "usage: ./scripts/demo.sh [--reset]" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_demo_confirms_a_reader_mails_the_day_and_announces_it_to_its_own_receiver(demo_settings, settings,
                                                                                      tmp_path, mailoutbox):
    from delivery.models import EmailDelivery, Subscriber, WebhookDelivery, WebhookEndpoint

    settings.VAR_DIR = tmp_path
    output = demo_setup(tmp_path / "export")
    reader = Subscriber.objects.get(email="reader@example.org")
    assert reader.status == "confirmed" and "confirmation link: http" in output
    subjects = [message.subject for message in mailoutbox]
    assert subjects[0].startswith("请确认订阅") and subjects[1].endswith("2026-01-09")
    assert EmailDelivery.objects.get(subscriber=reader).status == "sent"
    assert WebhookDelivery.objects.get().status == "delivered"
    assert '"event": "day.published"' in (tmp_path / "demo-webhook.log").read_text()
    assert not WebhookEndpoint.objects.get().active, "the receiver is gone once the command ends"

    again = demo_setup(tmp_path / "export")
    assert "the demo reader reader@example.org exists (confirmed): left as it is" in again and len(mailoutbox) == 2
    assert WebhookDelivery.objects.count() == 1 and EmailDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_demo_on_a_database_that_delivers_from_elsewhere_mails_and_announces_nothing(demo_settings, settings,
                                                                                          tmp_path, mailoutbox):
    from delivery.models import EmailDelivery, WebhookDelivery

    settings.VAR_DIR = tmp_path
    settings.DIGEST_INSTANCE = "a-laptop"  # e.g. a production backup restored under var/: the demo does not enable it
    output = demo_setup(tmp_path / "export")
    assert "not announcing or mailing version 1: delivery held on this instance 'a-laptop'" in output
    assert [message.subject for message in mailoutbox if not message.subject.startswith("请确认订阅")] == []
    # Made when the day was published, they wait for `enable_delivery`.
    assert list(EmailDelivery.objects.values_list("status", "attempts")) == [("pending", 0)]
    assert list(WebhookDelivery.objects.values_list("status", "attempts")) == [("pending", 0)]


@pytest.fixture
def tasks_queued(monkeypatch):
    """Tasks go to the queue, as outside the tests (which run them at once)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


@pytest.mark.django_db(transaction=True)
def test_the_demo_leaves_nothing_in_the_queue_for_a_worker_to_replay(demo_settings, tasks_queued, tmp_path, mailoutbox):
    from django_q.models import OrmQ

    from delivery.models import EmailDelivery, WebhookDelivery

    demo_setup(tmp_path)
    assert OrmQ.objects.count() == 0
    assert EmailDelivery.objects.get().status == "sent" and WebhookDelivery.objects.get().status == "delivered"
    assert len(mailoutbox) == 2, "the confirmation and the edition, each once"


@pytest.mark.django_db(transaction=True)
def test_a_rerun_keeps_an_editors_glossary_edit(demo_settings, tmp_path):
    demo_setup(tmp_path)
    vocoder = GlossaryTerm.objects.get(term="vocoder")
    vocoder.rendering, vocoder.note = "声码器（神经）", "an editor's note"
    vocoder.save()

    again = demo_setup(tmp_path)

    vocoder.refresh_from_db()
    assert (vocoder.rendering, vocoder.note) == ("声码器（神经）", "an editor's note")
    assert "starter glossary: 0 terms added, 289 already in the glossary" in again


@pytest.mark.django_db(transaction=True)
def test_a_rerun_adds_only_the_starter_terms_missing(demo_settings, tmp_path):
    GlossaryTerm.objects.create(term="Vocoder", rendering="编码器（我的）")
    output = demo_setup(tmp_path)
    assert "starter glossary: 288 terms added, 1 already in the glossary" in output
    assert GlossaryTerm.objects.get(term__iexact="vocoder").rendering == "编码器（我的）"


@pytest.mark.django_db(transaction=True)
def test_a_rerun_leaves_an_unsubscribed_demo_reader_unsubscribed_and_unmailed(demo_settings, tmp_path, mailoutbox):
    from delivery.models import Subscriber
    from delivery.subscribers import subscriber_unsubscribe

    demo_setup(tmp_path)
    subscriber_unsubscribe(subscriber=Subscriber.objects.get(email="reader@example.org"))
    mailed = len(mailoutbox)

    again = demo_setup(tmp_path)

    assert Subscriber.objects.get(email="reader@example.org").status == "unsubscribed"
    assert len(mailoutbox) == mailed, [message.subject for message in mailoutbox[mailed:]]
    assert "the demo reader reader@example.org exists (unsubscribed): left as it is" in again


@pytest.mark.django_db(transaction=True)
def test_a_rerun_keeps_an_editors_text_and_leaves_it_for_them_to_approve(demo_settings, tmp_path):
    from translations.revisions import revision_save, text_current

    # A first run cut short after drafting; an editor then changed one entry's text.
    call_command("fetch_papers", "--date", "2026-01-09", "--file", str(REPO_ROOT / "demo/arxiv-api-demo-2026-01-09.xml"),
                 stdout=StringIO(), stderr=StringIO())
    call_command("load_demo_drafts", "--file", str(REPO_ROOT / "demo/drafts-2026-01-09.json"), stdout=StringIO())
    call_command("translate_day", "--date", "2026-01-09", "--sync", stdout=StringIO(), stderr=StringIO())
    editor = User.objects.create_user("ana")
    entry = Entry.objects.select_related("paper").order_by("position").first()
    edited = revision_save(paper=entry.paper, author=editor, text={"title_zh": "编辑改过的标题"},
                           base_number=text_current(entry.paper).number)

    demo_setup(tmp_path)

    entry.refresh_from_db()
    assert text_current(entry.paper) == edited and edited.title_zh == "编辑改过的标题"
    assert entry.state == Entry.State.IN_REVIEW, "the demo does not approve an editor's words unread"
    assert Entry.objects.filter(state=Entry.State.IN_REVIEW).count() == 1

    # After the publish: an editor's change to the entry left in review stays through a rerun too.
    again = revision_save(paper=entry.paper, author=editor, text={"title_zh": "再改一次"}, base_number=edited.number)
    demo_setup(tmp_path)
    assert text_current(entry.paper) == again
