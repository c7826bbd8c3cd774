"""The glossary is the newsroom's, with per-digest additions that win inside their digest: in the matcher,
the review's checks (and the approval they gate), imports; a paper two digests hold is drafted once, with
the newsroom's terms and both digests' additions, the first digest winning a term they render differently."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from digests.models import Digest
from digests.roles import digest_roles_give
from digests.services import digest_add
from publishing.days.pipeline import day_start_drafting
from publishing.models import DigestDay, Entry
from publishing.review.services import CheckErrorsNotConfirmed, entry_approve
from tests.openai_stub import draft_reply, sent_payload
from tests.translations.test_drafting import make_paper
from translations.glossary import glossary_import
from translations.glossary_files import read_glossary_file
from translations.models import GlossaryTerm
from translations.quality import findings_of
from translations.services import draft_run
from translations.terminology import glossary_matcher, paper_glossary


@pytest.fixture
def nlp(db):
    return digest_add(slug="nlp", name="NLP Daily", categories=["cs.CL", "cs.SD"])


@pytest.fixture
def vision(db):
    return digest_add(slug="vision", name="Vision Daily", categories=["cs.CV"])


@pytest.fixture
def llm(settings, local_server):
    settings.OPENAI_BASE_URL = f"{local_server.url}/v1"
    settings.OPENAI_API_KEY = "test-key"
    settings.DIGEST_LLM_MODEL = "stub-model"
    settings.DIGEST_LLM_RETRIES = 2
    settings.DIGEST_LLM_TIMEOUT = 5
    return local_server


def rendering(matcher, text: str) -> str:
    (rule,) = matcher.rules_in(text)
    return rule.rendering


def test_a_digests_term_wins_in_its_digest_and_not_in_another(nlp, vision):
    home = Digest.objects.home()
    GlossaryTerm.objects.create(term="vocoder", rendering="声码器")
    GlossaryTerm.objects.create(term="Vocoder", rendering="语音合成器", digest=nlp)  # any case: the same term
    GlossaryTerm.objects.create(term="codec", kind=GlossaryTerm.Kind.KEEP_ENGLISH, digest=nlp)

    assert rendering(glossary_matcher([nlp]), "a vocoder") == "语音合成器"
    assert rendering(glossary_matcher([home]), "a vocoder") == "声码器"
    assert rendering(glossary_matcher([vision]), "a vocoder") == "声码器"
    assert rendering(glossary_matcher(), "a vocoder") == "声码器"
    assert [rule.source for rule in glossary_matcher([nlp]).rules_in("a codec")] == ["codec"]
    assert glossary_matcher([vision]).rules_in("a codec") == [], "a digest's addition stays in its digest"


def test_a_term_is_once_in_the_newsrooms_glossary_and_once_per_digest(nlp):
    GlossaryTerm.objects.create(term="vocoder", rendering="声码器")
    GlossaryTerm.objects.create(term="vocoder", rendering="语音合成器", digest=nlp)
    for digest in (nlp, None):
        with pytest.raises(ValidationError) as refused:
            GlossaryTerm(term="VOCODER", rendering="x", digest=digest).full_clean()
        assert list(refused.value.message_dict) == ["term"]
    GlossaryTerm(term="vocoder", rendering="x", digest=digest_add(slug="cv", name="CV", categories=["cs.CV"])
                 ).full_clean()
    for digest in (nlp, None):
        with pytest.raises(IntegrityError), transaction.atomic():
            GlossaryTerm.objects.create(term="VOCODER", rendering="x", digest=digest)


def test_an_import_into_a_digest_leaves_the_newsrooms_terms_alone(nlp, tmp_path):
    GlossaryTerm.objects.create(term="vocoder", rendering="声码器")
    rows = read_glossary_file("terms.csv", "source,rendering\nvocoder,语音合成器\ntoken,词元\n".encode())
    report = glossary_import(rows=rows, digest=nlp)
    assert (report.created, report.updated) == (["vocoder", "token"], [])
    assert set(GlossaryTerm.objects.values_list("term", "rendering", "digest")) == {
        ("token", "词元", nlp.pk), ("vocoder", "声码器", None), ("vocoder", "语音合成器", nlp.pk)}

    # Again, changed: only the digest's term changes; into the newsroom's, the newsroom's.
    rows = read_glossary_file("terms.csv", "source,rendering\nVocoder,合成器\n".encode())
    assert glossary_import(rows=rows, digest=nlp).updated == ["Vocoder"]
    assert glossary_import(rows=rows).updated == ["Vocoder"]
    assert set(GlossaryTerm.objects.values_list("rendering", "digest")) == {
        ("合成器", None), ("合成器", nlp.pk), ("词元", nlp.pk)}

    # The command, with --digest.
    terms = tmp_path / "terms.csv"
    terms.write_text("source,rendering\nbeam search,束搜索\n", encoding="utf-8")
    call_command("import_glossary", str(terms), "--digest", "nlp", verbosity=0)
    assert GlossaryTerm.objects.get(term="beam search").digest == nlp
    with pytest.raises(CommandError, match="no digest 'nope'"):
        call_command("import_glossary", str(terms), "--digest", "nope", verbosity=0)


def test_the_admin_imports_into_a_digest_and_filters_by_it(client, chief, nlp):
    from django.core.files.uploadedfile import SimpleUploadedFile

    GlossaryTerm.objects.create(term="vocoder", rendering="声码器")
    client.force_login(chief)
    upload = SimpleUploadedFile("terms.csv", "source,rendering\ntoken,词元\n".encode(), content_type="text/csv")
    answer = client.post(reverse("admin:translations_glossaryterm_import"), {"file": upload, "digest": nlp.pk})
    assert answer.status_code == 302
    assert GlossaryTerm.objects.get(term="token").digest == nlp
    changelist = reverse("admin:translations_glossaryterm_changelist")
    page = client.get(f"{changelist}?digest__id__exact={nlp.pk}").content.decode()
    assert "词元" in page and "声码器" not in page
    page = client.get(f"{changelist}?digest__isnull=True").content.decode()
    assert "声码器" in page and "词元" not in page


def day_with(digest: Digest, paper) -> DigestDay:
    now = timezone.now()
    day = DigestDay.objects.create(digest=digest, date=dt.date(2026, 1, 9), window_start=now - dt.timedelta(days=1),
                                   window_end=now, status=DigestDay.Status.DRAFTING)
    Entry.objects.create(day=day, paper=paper, paper_version=paper.version, kind="new", position=1)
    return day


def test_a_paper_in_two_digests_is_drafted_once_with_both_digests_additions(llm, nlp, vision):
    home = Digest.objects.home()
    GlossaryTerm.objects.create(term="zero-shot", rendering="零样本")
    GlossaryTerm.objects.create(term="prompt wording", rendering="提示措辞", digest=home)
    GlossaryTerm.objects.create(term="prompt wording", rendering="提示语用词", digest=nlp)  # home comes first
    GlossaryTerm.objects.create(term="prediction entropy", rendering="预测熵", digest=nlp)
    GlossaryTerm.objects.create(term="zero-shot", rendering="零次学习", digest=vision)  # holds no day of the paper
    paper = make_paper()
    days = [day_with(home, paper), day_with(nlp, paper)]
    llm.handler = lambda request: draft_reply()

    drafts = [draft for day in days for draft in day_start_drafting(day=day, enqueue=False).drafts]
    assert len({draft.pk for draft in drafts}) == 1, "one draft for the paper, whichever day asked"
    for draft in drafts:
        draft_run(draft_id=draft.pk)
    assert len(llm.requests) == 1

    prompt = sent_payload(llm.requests[0])["messages"][1]["content"]
    assert "prompt wording → 提示措辞" in prompt and "提示语用词" not in prompt
    assert "prediction entropy → 预测熵" in prompt and "zero-shot → 零样本" in prompt and "零次学习" not in prompt
    assert [rule.rendering for rule in paper_glossary(paper).rules_in("prompt wording")] == ["提示措辞"]


def test_an_entry_is_reviewed_and_approved_with_its_digests_glossary(llm, nlp, editor,
                                                                     django_capture_on_commit_callbacks):
    home = Digest.objects.home()
    digest_roles_give(user=editor, role="editor", digests=[nlp])
    GlossaryTerm.objects.create(term="prompt wording", rendering="提示措辞")
    # The NLP digest renders it otherwise and forbids the newsroom's rendering (an error-severity check).
    GlossaryTerm.objects.create(term="prompt wording", rendering="提示语用词", forbidden=["提示措辞"], digest=nlp)
    paper = make_paper()
    days = [day_with(home, paper), day_with(nlp, paper)]
    llm.handler = lambda request: draft_reply()  # its abstract says 提示措辞
    (draft,) = day_start_drafting(day=days[0], enqueue=False).drafts
    with django_capture_on_commit_callbacks(execute=True):  # the draft's text, then the entries follow it
        draft_run(draft_id=draft.pk)
    revision = paper.revisions.get()

    def glossary_findings(digest):
        return [finding["check"] for finding in findings_of(revision, digest=digest)
                if finding["check"].startswith("glossary")]

    assert glossary_findings(home) == []
    assert "glossary_forbidden" in glossary_findings(nlp)
    assert [finding["check"] for finding in findings_of(revision, digest=nlp)
            if not finding["check"].startswith("glossary")] == [
        finding["check"] for finding in revision.checks if not finding["check"].startswith("glossary")]

    home_entry, nlp_entry = (Entry.objects.get(day=day) for day in days)
    assert (home_entry.state, nlp_entry.state) == (Entry.State.IN_REVIEW, Entry.State.IN_REVIEW)
    entry_approve(entry=home_entry, user=editor)
    with pytest.raises(CheckErrorsNotConfirmed):
        entry_approve(entry=nlp_entry, user=editor)
    entry_approve(entry=nlp_entry, user=editor, despite_errors=True)
    nlp_entry.refresh_from_db()
    assert nlp_entry.approved_despite_checks == ["glossary_forbidden"]
