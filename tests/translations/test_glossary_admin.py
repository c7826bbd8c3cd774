"""The glossary and suggested terms in the admin: import page, export actions, the term form, one-click accept."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from papers.models import Paper
from tests.builders import paper_build
from translations.models import GlossaryTerm, Revision, SuggestedTerm, TermCorrection

IMPORT_URL = "admin:translations_glossaryterm_import"


@pytest.fixture
def chief_client(client, chief):
    client.force_login(chief)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def upload(text: str, name="terms.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_a_chief_editor_imports_a_csv_from_the_admin(chief_client):
    changelist = chief_client.get(reverse("admin:translations_glossaryterm_changelist")).content.decode()
    assert reverse(IMPORT_URL) in changelist
    response = chief_client.post(reverse(IMPORT_URL), {"file": upload("source,rendering,forbidden\ntoken,词元,令牌\n")},
                                 follow=True)
    assert "术语表已导入：新增 1 条，更新 0 条，0 条未变。" in response.content.decode()
    assert GlossaryTerm.objects.get().forbidden == ["令牌"]


def test_a_bad_file_in_the_admin_lists_its_refused_lines_and_changes_nothing(chief_client):
    response = chief_client.post(reverse(IMPORT_URL), {"file": upload("source,rendering\ntoken,词元\nvocoder,\n")})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="import-refused"' in page
    assert "<td>3</td><td>vocoder</td>" in page and "未导入任何内容：1 行被拒绝" in page
    assert "created" not in page.split('id="import-summary"')[1].split("</p>")[0]  # not "nothing changed (1 created"
    assert not GlossaryTerm.objects.exists()
    response = chief_client.post(reverse(IMPORT_URL), {"file": upload("<martif>", name="terms.tbx")})
    assert "terms.tbx: not a TBX file" in response.content.decode()


def test_a_dry_run_in_the_admin_lists_each_term_it_would_create_or_change(chief_client):
    GlossaryTerm.objects.create(term="vocoder", rendering="声码器", forbidden=["语音编码器"])
    GlossaryTerm.objects.create(term="codec", rendering="编解码器")
    csv = "source,rendering,forbidden\nvocoder,神经声码器,语音编码器\ncodec,编解码器,\ntoken,词元,令牌\n"
    response = chief_client.post(reverse(IMPORT_URL), {"file": upload(csv), "dry_run": "on"})
    page = response.content.decode()
    assert "试导入，未做任何更改：将新增 1 条、更新 1 条，1 条不变。" in page
    table = page[page.index('id="import-changes"'):page.index("</table>", page.index('id="import-changes"'))]
    assert "<del>声码器</del></td><td>→ <ins>神经声码器</ins>" in table  # the changed term: old → new
    assert "token" in table and "<ins>词元</ins>" in table and "<ins>令牌</ins>" in table  # the new one
    assert "codec</td>" not in table.replace("vocoder", "")  # the unchanged one is not listed
    assert GlossaryTerm.objects.get(term="vocoder").rendering == "声码器" and GlossaryTerm.objects.count() == 2


def test_editors_may_not_import(editor_client):
    changelist = editor_client.get(reverse("admin:translations_glossaryterm_changelist")).content.decode()
    assert reverse(IMPORT_URL) not in changelist
    assert editor_client.get(reverse(IMPORT_URL)).status_code == 403


def test_export_actions_download_the_selected_terms(editor_client):
    kept = GlossaryTerm.objects.create(term="vocoder", rendering="声码器")
    GlossaryTerm.objects.create(term="codec", rendering="编解码器")
    url = reverse("admin:translations_glossaryterm_changelist")
    response = editor_client.post(url, {"action": "export_csv", "_selected_action": [kept.pk]})
    assert response["Content-Disposition"] == 'attachment; filename="glossary.csv"'
    assert response.content.decode().splitlines()[1:] == ["vocoder,preferred,声码器,,,,"]
    response = editor_client.post(url, {"action": "export_tbx", "_selected_action": [kept.pk]})
    assert b"<term>vocoder</term>" in response.content and b"<term>codec</term>" not in response.content


def test_the_term_form_takes_variants_and_forbidden_renderings_one_per_line(editor_client):
    url = reverse("admin:translations_glossaryterm_add")
    fields = {"term": "large language model", "kind": "preferred", "rendering": "大语言模型",
              "variants": "LLM\r\nLLMs\r\n", "forbidden": "法学硕士\n", "category": "", "note": ""}
    assert editor_client.post(url, fields).status_code == 302
    term = GlossaryTerm.objects.get()
    assert (term.variants, term.forbidden) == (["LLM", "LLMs"], ["法学硕士"])
    refused = editor_client.post(url, {**fields, "term": "token", "rendering": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and "A preferred term needs its Chinese rendering." in refused.content.decode()


@pytest.fixture
def suggestion(db):
    for number in range(3):
        paper = paper_build(f"2601.0000{number}")
        revision = Revision.objects.create(paper=paper, number=1)
        TermCorrection.objects.create(paper=paper, revision=revision, source="LLM", source_key="llm",
                                      machine_change="法学硕士", editor_change="大语言模型",
                                      machine_rendering="法学硕士", rendering="大语言模型", section="abstract_zh")
    return SuggestedTerm.objects.create(source="LLM", source_key="llm", machine_change="法学硕士",
                                        editor_change="大语言模型", machine_rendering="法学硕士",
                                        rendering="大语言模型", entries=3)


def test_a_chief_editor_accepts_a_suggestion_with_one_click(chief_client, suggestion):
    page = chief_client.get(reverse("admin:translations_suggestedterm_changelist")).content.decode()
    accept = reverse("admin:translations_suggestedterm_accept", args=[suggestion.pk])
    assert f'formaction="{accept}"' in page and "2601.00002" in page
    response = chief_client.post(accept, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Added to the glossary: LLM → 大语言模型" in response.content.decode()
    assert GlossaryTerm.objects.get().forbidden == ["法学硕士"]
    assert SuggestedTerm.objects.get().status == SuggestedTerm.Status.ACCEPTED


def test_editors_see_suggestions_but_cannot_decide(editor_client, suggestion):
    page = editor_client.get(reverse("admin:translations_suggestedterm_changelist")).content.decode()
    assert "法学硕士" in page and "formaction" not in page
    response = editor_client.post(reverse("admin:translations_suggestedterm_accept", args=[suggestion.pk]))
    assert response.status_code == 403
    assert not GlossaryTerm.objects.exists() and Paper.objects.count() == 3


def test_a_nul_in_an_uploaded_csv_is_refused_with_its_line(chief_client):
    response = chief_client.post(reverse(IMPORT_URL), {"file": upload("source,rendering\ntoken,词\x00元\n")})
    assert response.status_code == 200 and "terms.csv: line 2: a NUL character" in response.content.decode()
    assert not GlossaryTerm.objects.exists()
