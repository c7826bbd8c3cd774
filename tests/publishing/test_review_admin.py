"""The review and history pages in the admin, through the test client as real editors."""

import datetime as dt
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from publishing.models import Entry
from publishing.review.figures import post_editing_by_day, post_editing_by_model
from publishing.review.forms import text_label
from tests.builders import DEMO_DRAFTS, demo_day_collected, demo_texts_recorded, user_in
from tests.openai_stub import draft_reply
from translations.models import MachineDraft, Revision


@pytest.fixture
def entries(db, django_capture_on_commit_callbacks):
    day = demo_day_collected()
    with django_capture_on_commit_callbacks(execute=True):
        demo_texts_recorded(day)
    return list(day.entries.order_by("position"))


def logged_in(client, group: str | None, name: str):
    client.force_login(user_in(group, name))
    return client


@pytest.fixture
def editor_client(client, db):
    return logged_in(client, "Editor", "editor")


def form_data(entry, **changes):
    revision = Revision.objects.filter(paper=entry.paper).order_by("-number").first()
    data = {name: getattr(revision, name) for name in Revision.TEXT_FIELDS}
    data.update(base_revision=revision.number, comment="", editor_note="")
    data.update(changes)
    return data


def review_url(entry):
    return reverse("admin:publishing_entry_review", args=[entry.pk])


def test_review_page_shows_english_beside_the_editable_chinese(editor_client, entries):
    page = editor_client.get(review_url(entries[0]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Phase-Aware Diffusion Vocoding" in page and "https://arxiv.org/pdf/2601.90008v1" in page
    assert "基于扩散的神经声码器" in page and 'name="base_revision"' in page
    assert "演示数据" in page  # the draft's warning is shown


def test_save_and_next_creates_a_revision_and_moves_on(editor_client, entries):
    response = editor_client.post(review_url(entries[0]), form_data(entries[0], title_zh="改过的标题", _save_next="1"))
    assert response.status_code == 302 and response["Location"] == review_url(entries[1])
    revision = Revision.objects.get(paper=entries[0].paper, number=2)
    assert revision.title_zh == "改过的标题" and revision.author.username == "editor"


def test_stale_form_is_refused_showing_what_the_other_editor_changed(client, entries, db):
    first = logged_in(client.__class__(), "Editor", "first")
    second = logged_in(client.__class__(), "Editor", "second")
    opened_by_second = form_data(entries[0])
    first.post(review_url(entries[0]), form_data(entries[0], method_md="- 第一位编辑的改动", _save="1"))
    response = second.post(review_url(entries[0]), {**opened_by_second, "method_md": "- 第二位编辑的改动", "_save": "1"},
                           HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200 and "Not saved: first saved revision 2" in page
    assert '<ins class="diff-ins">' in page and "第二位编辑的改动" in page  # their own text is still in the form
    assert Revision.objects.get(paper=entries[0].paper, number=2).method_md == "- 第一位编辑的改动"
    assert not Revision.objects.filter(paper=entries[0].paper, number=3).exists()


def test_after_a_refused_stale_save_the_form_saves_on_top_of_the_revision_it_showed(client, entries, db):
    first = logged_in(client.__class__(), "Editor", "first")
    second = logged_in(client.__class__(), "Editor", "second")
    opened_by_second = form_data(entries[0])
    first.post(review_url(entries[0]), form_data(entries[0], method_md="- 第一位编辑的改动", _save="1"))
    refused = second.post(review_url(entries[0]), {**opened_by_second, "title_zh": "第二位编辑的标题", "_save": "1"})
    # "Compare and save again": the refused page's form is now based on revision 2, which it showed.
    assert re.search(r'name="base_revision" value="2"', refused.content.decode())
    again = {**opened_by_second, "title_zh": "第二位编辑的标题", "method_md": "- 第一位编辑的改动", "base_revision": "2",
             "_save": "1"}
    assert second.post(review_url(entries[0]), again).status_code == 302
    saved = Revision.objects.get(paper=entries[0].paper, number=3)
    assert (saved.author.username, saved.title_zh, saved.method_md) == ("second", "第二位编辑的标题", "- 第一位编辑的改动")


def test_save_and_approve_through_the_page(editor_client, entries):
    editor_client.post(review_url(entries[0]), form_data(entries[0], abstract_zh="新摘要", _approve="1"))
    entry = Entry.objects.get(pk=entries[0].pk)
    assert entry.state == Entry.State.APPROVED and entry.approved_revision.number == 2
    assert entry.approved_by.username == "editor"


def test_staff_without_the_editor_role_cannot_save_or_approve(client, entries):
    outsider = logged_in(client, None, "visitor")
    assert outsider.get(review_url(entries[0])).status_code == 403
    assert outsider.post(review_url(entries[0]), form_data(entries[0], _approve="1")).status_code == 403
    assert Entry.objects.get(pk=entries[0].pk).state == Entry.State.IN_REVIEW


def test_anonymous_visitors_are_sent_to_the_login(client, entries):
    response = client.get(review_url(entries[0]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_history_shows_a_character_diff_and_restores(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, title_zh="面向低延迟语音合成的相位扩散声码器", _save="1"))
    history = reverse("admin:publishing_entry_revisions", args=[entry.pk])
    page = editor_client.get(history, {"a": "r1", "b": "r2"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<del class="diff-del"><span class="visually-hidden">deleted</span>感知</del>' in page
    editor_client.post(history, {"restore": "1", "base_revision": "2"})
    restored = Revision.objects.get(paper=entry.paper, number=3)
    assert restored.restored_from.number == 1 and restored.title_zh == DEMO_DRAFTS["2601.90008"]["title_zh"]


def day_review_url(entries):
    return reverse("admin:publishing_digestday_review", args=[entries[0].day_id])


def test_day_review_lists_entries_in_order_with_state_and_warnings(editor_client, entries):
    page = editor_client.get(day_review_url(entries)).content.decode()
    positions = [page.index(entry.paper.title) for entry in entries]
    assert positions == sorted(positions)
    assert page.count("演示数据") == 6


def test_bulk_approve_records_each_approval_and_refuses_text_changed_since(client, entries, db):
    first = logged_in(client.__class__(), "Editor", "first")
    second = logged_in(client.__class__(), "Editor", "second")
    seen = {f"seen-{entry.pk}": "1" for entry in entries}
    second.post(review_url(entries[2]), form_data(entries[2], abstract_zh="刚改的", _save="1"))

    first.post(day_review_url(entries), {"entry": [e.pk for e in entries], **seen, "_approve": "1"})

    states = dict(Entry.objects.values_list("pk", "state"))
    assert states[entries[2].pk] == Entry.State.IN_REVIEW, "changed after the editor looked: not approved"
    assert [states[e.pk] for e in entries if e != entries[2]] == [Entry.State.APPROVED] * 5
    assert LogEntry.objects.filter(user__username="first", change_message="Approved revision 1").count() == 5


def test_post_editing_figures_count_unchanged_approvals_and_share_changed(editor_client, entries):
    untouched, edited = entries[0], entries[1]
    editor_client.post(review_url(untouched), form_data(untouched, _approve="1"))
    abstract = form_data(edited)["abstract_zh"]
    editor_client.post(review_url(edited), form_data(edited, abstract_zh=abstract[: len(abstract) // 2], _approve="1"))

    [day] = post_editing_by_day()
    assert (day.label, day.approved, day.unchanged) == ("2026-01-09", 2, 1)
    assert 0.01 < day.mean_changed_share < 0.2  # half of one abstract out of two whole entries
    [model] = post_editing_by_model()
    assert model.label == "demo (hand-written) · demo" and model.approved == 2
    page = editor_client.get(reverse("admin:publishing_post_editing")).content.decode()
    assert "2026-01-09" in page and "50%" in page


def test_the_admin_speaks_chinese_to_editors_and_english_on_request(editor_client, entries):
    chinese = editor_client.get(day_review_url(entries), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "审校状态" in chinese and "通过勾选的条目" in chinese and "审校中" in chinese
    english = editor_client.get(day_review_url(entries), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Approve the ticked entries" in english and "in review" in english


def test_a_newer_machine_draft_is_shown_beside_the_text_and_adopted_section_by_section(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, abstract_zh="编辑写的摘要", _save="1"))
    MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded",
                                abstract_zh="新机器摘要", method_md="- 新机器方法")
    page = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="method_md"' in page
    assert '<ins class="diff-ins"><span class="visually-hidden">inserted</span>新机器</ins>方法' in page

    editor_client.post(review_url(entry), form_data(entry, _adopt="method_md"))
    current = Revision.objects.filter(paper=entry.paper).order_by("-number").first()
    assert (current.number, current.method_md, current.abstract_zh) == (3, "- 新机器方法", "编辑写的摘要")


def test_draft_again_from_the_entry_list_adds_a_draft_and_keeps_the_text(editor_client, entries, settings, local_server,
                                                                           django_capture_on_commit_callbacks):
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, settings.DIGEST_LLM_MODEL = f"{local_server.url}/v1", "k", "stub"
    local_server.handler = lambda request: draft_reply()
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, abstract_zh="编辑写的摘要", _save="1"))
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(reverse("admin:publishing_entry_changelist"), {"action": "draft_again", "_selected_action": [entry.pk]})
    assert MachineDraft.objects.filter(paper=entry.paper, status="succeeded").count() == 2
    assert Revision.objects.filter(paper=entry.paper).order_by("-number").first().abstract_zh == "编辑写的摘要"


# Bad editor POSTs (crafted, or from a page left open): a 400 or an error the editor sees, never a 500,
# and nothing is changed: no revision, no entry state or note, no log entry.

def nothing_changed_since(before) -> bool:
    return before == snapshot()


def snapshot():
    return (
        list(Revision.objects.order_by("id").values_list("id", flat=True)),
        list(Entry.objects.order_by("id").values_list("state", "editor_note")),
        LogEntry.objects.count(),
    )


TOO_BIG = "9" * 25  # beyond PostgreSQL's integer and bigint


def arabic_indic(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


BAD_DAY_REVIEW_POSTS = {
    "entry_not_a_number": (lambda e: {"entry": ["abc", e[1].pk], "_approve": "1"}, "“abc” is not an entry of this day"),
    "entry_too_big": (lambda e: {"entry": [TOO_BIG, e[1].pk], "_approve": "1"}, "is not an entry of this day"),
    "seen_not_a_number": (lambda e: {"entry": [e[0].pk, e[1].pk], f"seen-{e[0].pk}": "abc", "_approve": "1"},
                          "Enter a whole number"),
    "seen_too_big": (lambda e: {"entry": [e[0].pk], f"seen-{e[0].pk}": TOO_BIG, "_approve": "1"},
                     "less than or equal to 2147483647"),
    # `²` passes str.isdigit() but not int(); an id in Arabic-Indic digits would name that entry.
    "entry_superscript": (lambda e: {"entry": ["²", e[1].pk], "_approve": "1"}, "“²” is not an entry of this day"),
    "entry_in_arabic_indic_digits": (lambda e: {"entry": [arabic_indic(e[0].pk)], "_approve": "1"},
                                     "is not an entry of this day"),
    "seen_superscript": (lambda e: {"entry": [e[0].pk], f"seen-{e[0].pk}": "²", "_approve": "1"},
                         "Enter a whole number"),
    "seen_in_arabic_indic_digits": (lambda e: {"entry": [e[0].pk], f"seen-{e[0].pk}": arabic_indic(1), "_approve": "1"},
                                    "Enter a whole number"),
    "nothing_ticked": (lambda e: {"_reject": "1"}, "Tick the entries to approve or reject"),
    "neither_approve_nor_reject": (lambda e: {"entry": [e[0].pk]}, "Choose approve or reject"),
}


@pytest.mark.parametrize("case", BAD_DAY_REVIEW_POSTS, ids=list(BAD_DAY_REVIEW_POSTS))
def test_a_bad_day_review_post_changes_nothing_and_says_why(editor_client, entries, case):
    data, error = BAD_DAY_REVIEW_POSTS[case]
    before = snapshot()
    response = editor_client.post(day_review_url(entries), data(entries), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain == [(day_review_url(entries), 302)] and response.status_code == 200
    assert error in response.content.decode()
    assert nothing_changed_since(before)


def test_a_day_review_post_for_an_entry_of_another_day_changes_nothing(editor_client, entries):
    from publishing.models import DigestDay

    other_day = DigestDay.objects.create(date=dt.date(2026, 1, 10), window_start=entries[0].day.window_start,
                                         window_end=entries[0].day.window_end, status=DigestDay.Status.IN_REVIEW)
    before = snapshot()
    url = reverse("admin:publishing_digestday_review", args=[other_day.pk])
    response = editor_client.post(url, {"entry": [entries[0].pk], "_approve": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert f"“{entries[0].pk}” is not an entry of this day" in response.content.decode()
    assert nothing_changed_since(before)


def history_url(entry):
    return reverse("admin:publishing_entry_revisions", args=[entry.pk])


BAD_RESTORE_POSTS = {
    "restore_not_a_number": ({"restore": "abc", "base_revision": "1"}, "Enter a whole number"),
    "restore_of_no_such_revision": ({"restore": "999", "base_revision": "1"}, "has no revision 999"),
    "restore_too_big": ({"restore": TOO_BIG, "base_revision": "1"}, "less than or equal to 2147483647"),
    "restore_superscript": ({"restore": "¹", "base_revision": "1"}, "Enter a whole number"),
    "base_revision_missing": ({"restore": "1"}, "This field is required"),
    "base_revision_too_big": ({"restore": "1", "base_revision": TOO_BIG}, "less than or equal to 2147483647"),
}


@pytest.mark.parametrize("case", BAD_RESTORE_POSTS, ids=list(BAD_RESTORE_POSTS))
def test_a_bad_restore_post_changes_nothing_and_says_why(editor_client, entries, case):
    data, error = BAD_RESTORE_POSTS[case]
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, title_zh="第二版标题", _save="1"))
    before = snapshot()
    response = editor_client.post(history_url(entry), data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain == [(history_url(entry), 302)] and response.status_code == 200
    assert error in response.content.decode()
    assert nothing_changed_since(before)


@pytest.mark.parametrize("keys", [
    {"a": "d" + TOO_BIG, "b": "r" + TOO_BIG},
    {"a": "r" + TOO_BIG, "b": "r1"},
    {"a": "x1", "b": "r-1"},
    {"a": "r1", "b": "d" + TOO_BIG},
], ids=["both_too_big", "revision_too_big", "not_version_keys", "draft_too_big"])
def test_comparing_versions_that_cannot_exist_shows_the_history_without_a_diff(editor_client, entries, keys):
    response = editor_client.get(history_url(entries[0]), keys, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Choose two versions to compare." in response.content.decode()


BAD_REVIEW_POSTS = {
    "base_revision_too_big": ({"base_revision": TOO_BIG, "_save": "1"}, "less than or equal to 2147483647"),
    "base_revision_not_a_number": ({"base_revision": "abc", "_approve": "1"}, "Enter a whole number"),
    "adopt_of_no_text_field": ({"_adopt": "paper_id"}, "“paper_id” is not a text section to adopt"),
}


@pytest.mark.parametrize("case", BAD_REVIEW_POSTS, ids=list(BAD_REVIEW_POSTS))
def test_a_bad_review_post_shows_the_form_error_and_changes_nothing(editor_client, entries, case):
    changes, error = BAD_REVIEW_POSTS[case]
    entry = entries[0]
    MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded", method_md="- 新机器方法")
    before = snapshot()
    response = editor_client.post(review_url(entry), form_data(entry, title_zh="新标题", editor_note="备注", **changes),
                                  HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and error in response.content.decode()
    assert nothing_changed_since(before)


def test_section_labels_are_the_models_verbose_names_in_english_and_chinese(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, method_md="- 改过的方法", _save="1"))
    english = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in Revision.TEXT_FIELDS:
        assert f">{capfirst(Revision._meta.get_field(name).verbose_name)}</label>" in english
    chinese = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for label in ("中文标题", "中文摘要", "研究背景与既有方法问题", "核心方法", "任务与效果"):
        assert f">{label}</label>" in chinese
    history = editor_client.get(history_url(entry), {"a": "r1", "b": "r2"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<td>核心方法</td>" in history and "<h3>核心方法</h3>" in history


def test_every_text_section_label_has_a_chinese_translation():
    with translation.override("zh-hans"):
        labels = {name: str(text_label(name)) for name in Revision.TEXT_FIELDS}
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels.values()), labels


def test_history_notes_what_the_machine_did_in_the_readers_language(editor_client, entries):
    entry = entries[0]
    first_draft = Revision.objects.get(paper=entry.paper, number=1).from_draft
    editor_client.post(review_url(entry), form_data(entry, abstract_zh="编辑写的摘要", comment="措辞", _save="1"))
    redraft = MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded",
                                          abstract_zh="新机器摘要", method_md="- 新机器方法")
    editor_client.post(review_url(entry), form_data(entry, _adopt="method_md"))
    editor_client.post(history_url(entry), {"restore": "1", "base_revision": "3"})
    comments = list(Revision.objects.filter(paper=entry.paper).order_by("number").values_list("comment", flat=True))
    assert comments == ["", "措辞", "", ""], "only what the editor wrote is stored, not the machine's notes"

    notes = {
        4: ("restored revision %(number)d", {"number": 1}),
        3: ("adopted %(fields)s from machine draft #%(number)d", {"fields": "method", "number": redraft.pk}),
        1: ("machine draft #%(number)d", {"number": first_draft.pk}),
    }
    english = editor_client.get(history_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for message, values in notes.values():
        assert f'<span class="revision-note">{message % values}</span>' in english
    assert "措辞" in english
    chinese = editor_client.get(history_url(entry)).content.decode()
    with translation.override("zh-hans"):
        for message, values in notes.values():
            values = {**values, "fields": str(Revision._meta.get_field("method_md").verbose_name)}
            assert f'<span class="revision-note">{translation.gettext(message) % values}</span>' in chinese


@pytest.mark.parametrize("page", ["review", "history"])
def test_diffs_are_underlined_and_struck_through_not_only_coloured(editor_client, entries, page):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, abstract_zh="编辑写的摘要", _save="1"))
    # A newer draft whose method (a section no person touched) is offered with its diff.
    MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded", abstract_zh="新机器摘要",
                                method_md="- 新机器方法")
    url = review_url(entry) if page == "review" else history_url(entry) + "?a=r1&b=r2"
    content = editor_client.get(url).content.decode()
    assert 'class="diff-ins"' in content or 'class="diff-del"' in content
    styles = " ".join(re.findall(r"<style>(.*?)</style>", content, re.S))
    underline = re.search(r"ins\.diff-ins \{[^}]*text-decoration: underline", styles)
    strike = re.search(r"del\.diff-del \{[^}]*text-decoration: line-through", styles)
    assert underline and strike
    # The page's own plain `ins { text-decoration: none }` comes later but is less specific than the class rule.
    assert not re.search(r"ins\.diff-ins \{[^}]*text-decoration: none", styles)


# A newer machine draft never undoes an editor's work (the review page's offers).

def newest_revision(entry):
    return Revision.objects.filter(paper=entry.paper).order_by("-number").first()


def test_an_editors_own_save_is_never_offered_back_as_the_machine_draft_it_started_from(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, abstract_zh="编辑改正的摘要", _save="1"))
    page = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="newer-draft"' not in page and 'name="_adopt"' not in page
    assert "编辑改正的摘要" in page


def test_a_newer_draft_after_an_edit_offers_only_the_sections_no_person_touched(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, abstract_zh="编辑写的摘要", _save="1"))
    redraft = MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded",
                                          abstract_zh="新机器摘要", method_md="- 新机器方法")
    page = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"A newer machine draft (#{redraft.pk}) differs" in page
    assert re.findall(r'name="_adopt" value="(\w+)"', page) == ["method_md"]
    assert "Chinese abstract: edited by editor since the machine draft; not offered." in page
    assert "新机器摘要" not in page


def test_who_changed_what_since_the_machine_draft_is_shown_in_the_sites_time_zone(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, title_zh="新标题", method_md="- 新方法", _save="1"))
    # 17:11 UTC on the 9th is 01:11 on the 10th in Shanghai.
    Revision.objects.filter(paper=entry.paper, number=2).update(created_at=dt.datetime(2026, 1, 9, 17, 11, tzinfo=dt.UTC))
    page = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "revision 2 · editor · 2026-01-10 01:11 · Chinese title, Method" in page


def test_adopting_a_section_a_person_edited_since_the_draft_is_refused(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, abstract_zh="编辑写的摘要", _save="1"))
    MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded", abstract_zh="新机器摘要")
    before = snapshot()
    response = editor_client.post(review_url(entry), form_data(entry, _adopt="abstract_zh"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Not adopted: editor changed Chinese abstract since the machine draft" in response.content.decode()
    assert nothing_changed_since(before) and newest_revision(entry).abstract_zh == "编辑写的摘要"


def test_sections_of_a_newer_draft_are_adopted_one_by_one(editor_client, entries):
    entry = entries[0]
    MachineDraft.objects.create(paper=entry.paper, paper_version=1, status="succeeded",
                                method_md="- 新机器方法", results_md="- 新机器结果")
    editor_client.post(review_url(entry), form_data(entry, _adopt="method_md"))
    page = editor_client.get(review_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.findall(r'name="_adopt" value="(\w+)"', page) == ["results_md"]
    assert "(adopted from machine draft #" in page


# Refusals in the editor's language, the site's time zone and the fields' labels.

def test_a_stale_save_is_explained_in_chinese_with_shanghai_time_and_field_labels(client, entries, db):
    first = logged_in(client.__class__(), "Editor", "first")
    second = logged_in(client.__class__(), "Editor", "second")
    opened_by_second = form_data(entries[0])
    first.post(review_url(entries[0]), form_data(entries[0], method_md="- 第一位编辑的改动", _save="1"))
    Revision.objects.filter(paper=entries[0].paper, number=2).update(
        created_at=dt.datetime(2026, 11, 25, 17, 11, tzinfo=dt.UTC))
    response = second.post(review_url(entries[0]), {**opened_by_second, "method_md": "- 第二位编辑的改动", "_save": "1"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert ("未保存：first 在 2026-11-26 01:11 保存了修订 2（你打开的是修订 1），改动了：核心方法。"
            "你的文本仍在表单中；请比较后再保存。") in page
    assert "method_md" not in page.split('id="entry-review-form"')[1].split("</div>")[0]


def test_a_form_opened_before_the_first_draft_names_the_machine_draft_as_the_other_writer(client, db,
                                                                                            django_capture_on_commit_callbacks):
    day = demo_day_collected()
    entry = day.entries.order_by("position").first()
    editor = logged_in(client, "Editor", "editor")
    with django_capture_on_commit_callbacks(execute=True):
        demo_texts_recorded(day)
    data = {**{name: "" for name in Revision.TEXT_FIELDS}, "title_zh": "编辑先写的标题", "base_revision": "0",
            "comment": "", "editor_note": "", "_save": "1"}
    page = editor.post(review_url(entry), data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not saved: the machine draft saved revision 1 at" in page
    assert "changing: Chinese title, Chinese abstract, Background and prior-work problems, Method, Tasks and results" in page


def test_a_bulk_approval_refused_for_changed_text_says_who_changed_what_in_chinese(client, entries, db):
    first = logged_in(client.__class__(), "Editor", "first")
    second = logged_in(client.__class__(), "Editor", "second")
    second.post(review_url(entries[2]), form_data(entries[2], abstract_zh="刚改的", _save="1"))
    Revision.objects.filter(paper=entries[2].paper, number=2).update(
        created_at=dt.datetime(2026, 1, 9, 23, 30, tzinfo=dt.UTC))
    response = first.post(day_review_url(entries), {"entry": [entries[2].pk], f"seen-{entries[2].pk}": "1", "_approve": "1"},
                          follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (f"未批准 {entries[2].paper.arxiv_id}：second 在 2026-01-10 07:30 保存了修订 2（你读到的是修订 1），"
            "改动了：中文摘要。请重新阅读后再批准。") in response.content.decode()


def test_a_refused_move_is_told_in_the_editors_language(editor_client, entries):
    entry = entries[0]
    editor_client.post(review_url(entry), form_data(entry, _approve="1"))
    page = editor_client.post(day_review_url(entries), {"entry": [entry.pk], "_reject": "1"}, follow=True,
                              HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"{entry.paper.arxiv_id}（2026-01-09）当前为“已通过”，不能变为“已拒绝”。" in page


def test_a_stale_restore_is_explained_with_what_changed(client, entries, db):
    first = logged_in(client.__class__(), "Editor", "first")
    second = logged_in(client.__class__(), "Editor", "second")
    entry = entries[0]
    first.post(review_url(entry), form_data(entry, title_zh="第二版标题", _save="1"))
    first.post(review_url(entry), form_data(entry, title_zh="第三版标题", _save="1"))
    response = second.post(history_url(entry), {"restore": "1", "base_revision": "2"}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    assert "Not restored: first saved revision 3 at" in response.content.decode()
    assert "(you opened revision 2), changing: Chinese title." in response.content.decode()


# "Save and next" and approving go on to what still needs review.

def test_save_and_next_skips_reviewed_entries_and_wraps_round_to_earlier_ones(editor_client, entries):
    editor_client.post(review_url(entries[3]), form_data(entries[3], _approve="1"))
    editor_client.post(review_url(entries[4]), form_data(entries[4], _reject="1"))
    editor_client.post(review_url(entries[0]), form_data(entries[0], _approve="1"))

    response = editor_client.post(review_url(entries[2]), form_data(entries[2], _save_next="1"))
    assert response["Location"] == review_url(entries[5]), "the approved and rejected entries are skipped"
    response = editor_client.post(review_url(entries[5]), form_data(entries[5], _approve="1"))
    assert response["Location"] == review_url(entries[1]), "after the last position, back to the earliest still waiting"


def test_approving_the_last_entry_to_review_returns_to_the_day_saying_it_can_be_published(client, drafted_day):
    entries = list(drafted_day.entries.order_by("position"))
    chief = logged_in(client, "Chief editor", "chief")
    for entry in entries[:-1]:
        chief.post(review_url(entry), form_data(entry, _approve="1"))
    response = chief.post(review_url(entries[-1]), form_data(entries[-1], _approve="1"), follow=True,
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain == [(day_review_url(entries), 302)]
    assert "Every entry of 2026-01-09 is reviewed: the day can be published." in response.content.decode()


def test_an_editor_who_cannot_publish_is_told_only_that_every_entry_is_reviewed(editor_client, drafted_day):
    entries = list(drafted_day.entries.order_by("position"))
    for entry in entries[:-1]:
        editor_client.post(review_url(entry), form_data(entry, _reject="1"))
    response = editor_client.post(review_url(entries[-1]), form_data(entries[-1], _approve="1"), follow=True,
                                  HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.redirect_chain == [(day_review_url(entries), 302)]
    assert "Every entry of 2026-01-09 is reviewed." in page and "can be published" not in page


def test_save_and_next_on_the_last_entry_still_to_review_stays_on_it(editor_client, entries):
    for entry in entries[1:]:
        editor_client.post(review_url(entry), form_data(entry, _approve="1"))
    response = editor_client.post(review_url(entries[0]), form_data(entries[0], title_zh="改过", _save_next="1"),
                                  follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain == [(review_url(entries[0]), 302)]
    assert "No other entry of this day needs review." in response.content.decode()


# The entry list's search: the current Chinese text, authors and arXiv id, on SQLite and PostgreSQL alike.

def entries_found(client, term) -> set[str]:
    response = client.get(reverse("admin:publishing_entry_changelist"), {"q": term}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return {entry.paper.arxiv_id for entry in response.context["cl"].result_list}


@pytest.mark.parametrize("term, arxiv_id", [
    ("声码器", "2601.90008"),  # the Chinese title
    ("群延迟", "2601.90008"),  # the Chinese abstract
    ("Tomás", "2601.90006"),  # an author, with a letter SQLite's JSON would escape
    ("ruiz", "2601.90006"),  # authors in any case
    ("Example Speech Lab", "2601.90008"),  # an affiliation
    ("2601.90007", "2601.90007"),
    ("Spoken Question", "2601.90007"),  # the English title
])
def test_the_entry_search_finds_the_current_chinese_text_authors_and_arxiv_id(editor_client, entries, term, arxiv_id):
    assert entries_found(editor_client, term) == {arxiv_id}


def test_the_entry_search_does_not_find_words_only_an_old_revision_had(editor_client, entries):
    vocoder = entries[0]
    editor_client.post(review_url(vocoder), form_data(vocoder, title_zh="面向低延迟语音合成的相位感知扩散合成器",
                                                     abstract_zh="改写后的摘要。", _save="1"))
    assert entries_found(editor_client, "声码器") == set()
    assert entries_found(editor_client, "扩散合成器") == {"2601.90008"}


def test_the_entry_search_does_not_match_the_authors_json_keys(editor_client, entries):
    assert entries_found(editor_client, "affiliations") == set()
