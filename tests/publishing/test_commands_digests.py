"""The day commands with two digests: the first ("daily": cs.SD, eess.AS, from the settings) and "nlp" (cs.CL).

The demo feed has six cs.SD / eess.AS papers and one cs.CL paper cross-listed in cs.SD (2601.90007): the
first digest keeps six (the cs.CL one as a cross-list), nlp keeps that one paper as new.
"""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from digests.models import Digest
from digests.roles import digest_roles_give
from digests.services import digest_add
from publishing.days.pipeline import day_start_drafting
from publishing.models import DigestDay, Publication
from tests.builders import DEMO_FEED, approve_all, demo_texts_recorded, home_digest_set
from tests.openai_stub import draft_reply
from translations.models import MachineDraft

DATE = "2026-01-09"


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def nlp(db) -> Digest:
    return digest_add(slug="nlp", name="NLP Daily", categories=["cs.CL"], title_pattern="NLP Daily – {date}")


@pytest.fixture
def collected(nlp) -> dict[str, DigestDay]:
    command("fetch_papers", "--date", DATE, "--file", DEMO_FEED)
    return {day.digest.slug: day for day in DigestDay.objects.select_related("digest")}


@pytest.fixture
def llm(settings, local_server):
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    settings.DIGEST_LLM_RETRIES = 0
    local_server.handler = lambda request: draft_reply()
    return local_server


def drafting_requests(llm) -> int:
    return len([request for request in llm.requests if request.path == "/v1/chat/completions"])


def test_both_digests_collect_their_own_papers_from_the_demo_feed(collected):
    assert set(collected) == {"daily", "nlp"}
    assert collected["daily"].entries.count() == 6
    (shared,) = collected["nlp"].entries.select_related("paper")
    assert (shared.paper.primary_category, shared.kind) == ("cs.CL", "new")
    assert collected["daily"].entries.get(paper=shared.paper).kind == "cross"


# --- translate_day -------------------------------------------------------------------------------------


def test_translate_day_drafts_every_digests_day_and_a_shared_paper_once(collected, llm):
    out = command("translate_day", "--date", DATE, "--sync")
    assert "[daily] 2026-01-09: drafted 6, failed 0" in out and "day is in_review" in out
    assert "[nlp] 2026-01-09: drafted 1, failed 0" in out
    assert drafting_requests(llm) == 6, "the paper both digests hold is drafted once"
    assert MachineDraft.objects.count() == 6
    assert set(DigestDay.objects.values_list("status", flat=True)) == {DigestDay.Status.IN_REVIEW}


def test_translate_day_drafts_only_the_named_digests_day(collected, llm):
    out = command("translate_day", "--date", DATE, "--sync", "--digest", "nlp")
    assert out.strip() == "[nlp] 2026-01-09: drafted 1, failed 0, skipped 0 (claimed elsewhere), 0 already drafted; " \
                          "day is in_review"
    assert drafting_requests(llm) == 1
    assert DigestDay.objects.get(digest__slug="daily").status == DigestDay.Status.COLLECTING


def test_translate_day_queues_and_says_which_digest_each_line_is_about(collected, llm):
    # The tasks are queued on commit, which the test's transaction never reaches: nothing is drafted here.
    out = command("translate_day", "--date", DATE)
    assert "[daily] 2026-01-09: 6 drafts queued, 0 already in progress" in out
    # Its paper's draft was queued for the first digest's day: the same draft, not a second.
    assert "[nlp] 2026-01-09: 0 drafts queued, 1 already in progress" in out
    assert MachineDraft.objects.count() == 6


def test_translate_day_takes_the_digests_collected_and_names_the_others(nlp, llm):
    command("fetch_papers", "--date", DATE, "--file", DEMO_FEED, "--digest", "daily")
    out = command("translate_day", "--date", DATE, "--sync")
    assert "[nlp] 2026-01-09: not collected; nothing to draft" in out
    assert "[daily] 2026-01-09: drafted 6" in out
    with pytest.raises(CommandError, match=r"^no digest day 2026-01-09 for nlp: .* fetch_papers --date 2026-01-09 "
                                           r"--digest nlp first$"):
        command("translate_day", "--date", DATE, "--digest", "nlp")
    with pytest.raises(CommandError, match="no digest day 2026-01-08 for any digest"):
        command("translate_day", "--date", "2026-01-08")
    with pytest.raises(CommandError, match="--digest: no digest 'cl'; the digests are: daily, nlp"):
        command("translate_day", "--date", DATE, "--digest", "cl")


# --- publish_day -----------------------------------------------------------------------------------------


@pytest.fixture
def approved(collected, editor, django_capture_on_commit_callbacks) -> dict[str, DigestDay]:
    """Both digests' days drafted (the demo's hand-written drafts) and every entry approved."""
    with django_capture_on_commit_callbacks(execute=True):
        for day in collected.values():
            demo_texts_recorded(day)
            day_start_drafting(day=day, enqueue=False)
    digest_roles_give(user=editor, role="editor", digests=[day.digest for day in collected.values()])
    for day in collected.values():
        approve_all(day, editor)
    return collected


def test_translate_day_leaves_a_published_digests_day_alone_and_drafts_the_others(published, llm):
    DigestDay.objects.filter(digest__slug="nlp").update(status=DigestDay.Status.IN_REVIEW, live_publication=None)
    out = command("translate_day", "--date", DATE, "--force", "--sync")
    assert "[daily] left alone: 2026-01-09 is published; unpublish it before drafting it again (publish_day " \
           "--date 2026-01-09 --digest daily --unpublish)" in out
    assert "[nlp] 2026-01-09: drafted 1, failed 0" in out and drafting_requests(llm) == 1
    with pytest.raises(CommandError, match="^2026-01-09 is published; unpublish it"):
        command("translate_day", "--date", DATE, "--force", "--digest", "daily")


def test_publish_day_with_several_digests_must_name_one(approved):
    with pytest.raises(CommandError, match=r"^name the digest: --digest daily or --digest nlp$"):
        command("publish_day", "--date", DATE)
    assert not Publication.objects.exists()


def test_publish_day_publishes_the_named_digests_day_only(approved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        out = command("publish_day", "--date", DATE, "--digest", "nlp")
    assert out.strip() == "[nlp] 2026-01-09: published version 1 — 1 papers, /d/nlp/days/2026-01-09/"
    publication = Publication.objects.get()
    assert publication.day.digest.slug == "nlp"
    assert "NLP Daily – 2026-01-09" in publication.markdown
    assert DigestDay.objects.get(digest__slug="daily").live_publication is None

    with django_capture_on_commit_callbacks(execute=True):
        out = command("publish_day", "--date", DATE, "--digest", "daily")
    assert out.strip() == "[daily] 2026-01-09: published version 1 — 6 papers, /days/2026-01-09/"
    with django_capture_on_commit_callbacks(execute=True):
        out = command("publish_day", "--date", DATE, "--digest", "nlp", "--unpublish")
    assert out.startswith("[nlp] 2026-01-09: unpublished")
    assert DigestDay.objects.get(digest__slug="daily").live_publication is not None


def test_publishing_mirrors_each_digests_post_into_its_own_folder(approved, tmp_path,
                                                                   django_capture_on_commit_callbacks):
    home_digest_set(export_dir=str(tmp_path / "daily"))
    Digest.objects.filter(slug="nlp").update(export_dir=str(tmp_path / "nlp"))
    with django_capture_on_commit_callbacks(execute=True):
        command("publish_day", "--date", DATE, "--digest", "nlp")
    nlp_post = tmp_path / "nlp" / "2026-01-09-arxiv-nlp.md"
    assert nlp_post.read_text() == Publication.objects.get(day__digest__slug="nlp").markdown
    assert not (tmp_path / "daily").exists()
    with django_capture_on_commit_callbacks(execute=True):
        command("publish_day", "--date", DATE, "--digest", "daily")
    assert [path.name for path in (tmp_path / "daily").iterdir()] == ["2026-01-09-arxiv.md"]
    with django_capture_on_commit_callbacks(execute=True):
        command("publish_day", "--date", DATE, "--digest", "nlp", "--unpublish")
    assert not nlp_post.exists() and (tmp_path / "daily" / "2026-01-09-arxiv.md").exists()


# --- export_markdown -------------------------------------------------------------------------------------


@pytest.fixture
def published(approved, django_capture_on_commit_callbacks) -> dict[str, DigestDay]:
    for slug in approved:
        with django_capture_on_commit_callbacks(execute=True):
            command("publish_day", "--date", DATE, "--digest", slug)
    return approved


def test_export_markdown_writes_every_digests_posts_the_first_under_its_old_names(published, tmp_path):
    out = command("export_markdown", "--date", DATE, "--out", str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2026-01-09-arxiv-nlp.md", "2026-01-09-arxiv.md"]
    for slug, name in (("daily", "2026-01-09-arxiv.md"), ("nlp", "2026-01-09-arxiv-nlp.md")):
        assert (tmp_path / name).read_text() == Publication.objects.get(day__digest__slug=slug).markdown
    lines = out.strip().splitlines()
    assert lines == [
        f"[daily] exported 1 days to {tmp_path}: 1 written, 0 unchanged, 0 skipped (not published), "
        f"e.g. {tmp_path / '2026-01-09-arxiv.md'}",
        f"[nlp] exported 1 days to {tmp_path}: 1 written, 0 unchanged, 0 skipped (not published), "
        f"e.g. {tmp_path / '2026-01-09-arxiv-nlp.md'}",
    ]


def test_export_markdown_of_one_digest(published, tmp_path):
    out = command("export_markdown", "--all", "--out", str(tmp_path), "--digest", "nlp")
    assert [path.name for path in tmp_path.iterdir()] == ["2026-01-09-arxiv-nlp.md"]
    assert out.startswith("[nlp] exported 1 days")


def test_export_markdown_of_a_date_one_digest_has_not_published(approved, tmp_path,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        command("publish_day", "--date", DATE, "--digest", "nlp")
    out = command("export_markdown", "--date", DATE, "--out", str(tmp_path))
    assert [path.name for path in tmp_path.iterdir()] == ["2026-01-09-arxiv-nlp.md"]
    assert "[daily] exported 0 days" in out and "1 skipped (not published)" in out
    with pytest.raises(CommandError, match="2026-01-09 is not published and has nothing to export"):
        command("export_markdown", "--date", DATE, "--out", str(tmp_path), "--digest", "daily")


# --- digest_status -------------------------------------------------------------------------------------


def test_digest_status_json_is_an_array_of_every_digest_or_one_object_for_one(collected):
    statuses = json.loads(command("digest_status", "--date", DATE, "--json"))
    assert [status["digest"] for status in statuses] == ["daily", "nlp"]
    assert [(status["fetched"], status["kept"]) for status in statuses] == [(6, 6), (1, 1)]
    assert {status["last_fetch"]["status"] for status in statuses} == {"succeeded"}
    nlp = json.loads(command("digest_status", "--date", DATE, "--json", "--digest", "nlp"))
    assert isinstance(nlp, dict) and nlp == statuses[1] | {"workers": nlp["workers"]}


def test_digest_status_text_names_the_digest_on_every_line(collected):
    lines = command("digest_status", "--date", DATE).strip().splitlines()
    assert lines and all(line.startswith(("[daily] ", "[nlp] ")) for line in lines)
    assert "[nlp]              kept: 1" in lines


def test_digest_status_shows_a_digests_window_and_today_in_its_own_time_zone(nlp):
    nlp.time_zone, nlp.anchor = "America/Los_Angeles", dt.time(6)
    nlp.save()
    status = json.loads(command("digest_status", "--date", DATE, "--json", "--digest", "nlp"))
    assert (status["window_start"], status["window_end"]) == ("2026-01-08T06:00:00-08:00", "2026-01-09T06:00:00-08:00")
    assert status["status"] == "not_collected" and status["last_fetch"] is None
    today = json.loads(command("digest_status", "--json", "--digest", "nlp"))
    # (The test could straddle midnight in Los Angeles between the two readings of the clock; it does not matter.)
    assert today["date"] in {f"{timezone.now().astimezone(nlp.tz).date()}",
                             f"{(timezone.now() - dt.timedelta(minutes=1)).astimezone(nlp.tz).date()}"}


def test_a_fetch_for_one_digest_is_not_another_digests_last_fetch(nlp):
    command("fetch_papers", "--date", DATE, "--file", DEMO_FEED, "--digest", "nlp")
    statuses = json.loads(command("digest_status", "--date", DATE, "--json"))
    assert [(status["digest"], status["last_fetch"] is not None) for status in statuses] == [("daily", False),
                                                                                              ("nlp", True)]
