"""What an editor reads in the admin is Chinese, times in the site's zone: the pages (every changelist and
change form, the review, publish and import pages) and the messages after actions. The English left is the
papers' own (titles, abstracts, authors), names and the files' column names."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from papers.models import FetchRun, Paper
from publishing.days.schedule import watchdog_schedule_install, workers_status
from publishing.days.services import day_flag_attention
from publishing.models import DayTransition, ScheduledPublication
from publishing.review.services import entry_reopen
from translations.models import GlossaryTerm, MachineDraft, SuggestedTerm

# Three or more English words in a row: a sentence or a phrase, not a name or a unit.
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
ENGLISH_PHRASE = re.compile(r"[A-Za-z][A-Za-z'’-]+(?:[ ,;:()]+[A-Za-z][A-Za-z'’-]+){2,}")
# English the editor is meant to read as it is.
KEPT = {
    "source, kind, rendering, variants, forbidden, category, note",  # the glossary file's column names
    "migrate (new installation",  # the delivery switch's record, written by the command that set it
    "on for tests",  # the tests' instance name in that record
}
NOT_OURS = ("auth", "django_q")  # Django's and django-q2's own pages (permission names are stored in English)


class VisibleText(HTMLParser):
    """The text a person sees on a page (and the titles and labels a screen reader says), no code or fields."""

    HIDDEN = {"script", "style", "textarea", "pre", "code"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in self.HIDDEN
        self.parts += [value for name, value in attrs if name in ("title", "aria-label", "placeholder") and value]

    def handle_endtag(self, tag):
        self._hidden -= tag in self.HIDDEN

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def english_on(html: str, papers_words: set[str]) -> set[str]:
    """English phrases on the page, but for the papers' own (every word from a paper: a title cut short, an author
    list with affiliations) and the kept ones."""
    parser = VisibleText()
    parser.feed(html)
    return {phrase for part in parser.parts for phrase in ENGLISH_PHRASE.findall(part)
            if phrase not in KEPT and not _papers_own(WORD.findall(phrase), papers_words)}


def _papers_own(words: list[str], papers_words: set[str]) -> bool:
    """Every word is a paper's (the last may be cut short: a list shows the start of a long text)."""
    return set(words[:-1]) <= papers_words and any(word.startswith(words[-1]) for word in papers_words)


def admin_pages(*days) -> list[str]:
    urls = ["/admin/"]
    for model in admin.site._registry:
        if model._meta.app_label in NOT_OURS:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        row = model._default_manager.first()
        if row is not None:
            urls.append(reverse(f"{name}_change", args=[row.pk]))
    entry = days[0].entries.first()
    urls += [reverse("admin:publishing_entry_review", args=[entry.pk]),
             reverse("admin:publishing_entry_revisions", args=[entry.pk]),
             reverse("admin:publishing_post_editing"), reverse("admin:translations_glossaryterm_import")]
    for day in days:
        urls += [reverse(f"admin:publishing_digestday_{page}", args=[day.pk]) for page in ("review", "publish",
                                                                                            "unpublish")]
    return urls


@pytest.fixture
def boss_client(client, db):
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    return client


def test_every_admin_page_reads_in_chinese(boss_client, published_day, drafted_day_2):
    """A published day, a day in review flagged by failed drafts, a glossary with a keep-English term."""
    GlossaryTerm.objects.create(term="EnCodec", kind=GlossaryTerm.Kind.KEEP_ENGLISH)
    day_flag_attention(day=drafted_day_2, step="draft", reason="1 machine draft(s) failed (2601.90008): timeout; "
                       "see Machine drafts, fix the cause and use “draft again”")
    papers_words = {word for paper in Paper.objects.all()
                    for word in WORD.findall(f"{paper.title} {paper.abstract} {paper.authors} {paper.comment}")}
    found = {}
    for url in admin_pages(published_day, drafted_day_2):
        response = boss_client.get(url, follow=True)
        assert response.status_code == 200, url
        english = english_on(response.content.decode(), papers_words)
        if english:
            found[url] = sorted(english)
    assert found == {}


def test_rows_are_named_in_chinese(published_day, drafted_day_2, chief, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert str(published_day) == "2026-01-09 日报" and published_day.post_title == "arXiv Daily – 2026-01-09"
    scheduled = ScheduledPublication(day=published_day, publish_at=dt.datetime(2026, 1, 9, 13, 30, tzinfo=dt.UTC))
    assert str(scheduled) == "2026-01-09 日报 @ 2026-01-09 21:30"  # the site's time, not UTC
    run = FetchRun.objects.order_by("pk").first()
    assert str(run).endswith("已保存的文件 成功") or "succeeded" not in str(run)
    draft = MachineDraft.objects.order_by("pk").first()
    assert "succeeded" not in str(draft) and str(draft).endswith(draft.get_status_display())
    assert str(GlossaryTerm(term="EnCodec", kind=GlossaryTerm.Kind.KEEP_ENGLISH)) == "EnCodec（保留英文）"
    transition = DayTransition.objects.filter(day=published_day, to_status="published").get()
    assert transition.to_status not in str(transition) and transition.get_to_status_display() in str(transition)


def test_a_publication_scheduled_from_the_admin_is_confirmed_in_chinese_at_the_sites_time(
    client, published_day, chief, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[published_day.pk])
    later = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    response = client.post(url, {"publish_at": later.strftime("%Y-%m-%dT%H:%M"), "content_hash": ""}, follow=True)
    message = str(list(response.context["messages"])[0])
    assert message == f"2026-01-09 的日报将于 {later:%Y-%m-%d %H:%M}（本站时间）发布。"
    assert "arXiv Daily" not in message


def test_why_a_day_cannot_be_published_is_told_in_chinese(client, published_day, editor, chief):
    entry_reopen(entry=published_day.entries.get(position=2), user=editor)
    client.force_login(chief)
    page = client.get(reverse("admin:publishing_digestday_publish", args=[published_day.pk])).content.decode()
    assert "2026-01-09 还有 1 个条目未审校：请通过或拒绝它们，或者只发布已通过的条目。" in page
    assert "not reviewed" not in page and "--approved-only" not in page
    response = client.post(reverse("admin:publishing_digestday_changelist"),
                           {"action": "publish_days", "_selected_action": [published_day.pk], "post": "yes",
                            f"hash-{published_day.pk}": "x"}, follow=True)
    assert "2026-01-09 还有 1 个条目未审校" in response.content.decode()


def test_the_day_history_names_the_system_in_chinese(boss_client, drafted_day):
    day_flag_attention(day=drafted_day, step="collect", reason="looks stale")
    page = boss_client.get(reverse("admin:publishing_digestday_review", args=[drafted_day.pk])).content.decode()
    history = page[page.index('id="flag-history"'):page.index("</details>", page.index('id="flag-history"'))]
    assert ">系统</td>" in history and ">抓取</td>" in history and ">system<" not in history


def test_drafting_again_without_an_llm_is_refused_in_chinese(boss_client, published_day, settings):
    settings.DIGEST_LLM_MODEL = settings.OPENAI_API_KEY = ""
    draft = MachineDraft.objects.order_by("pk").first()
    response = boss_client.post(reverse("admin:translations_machinedraft_changelist"),
                                {"action": "draft_again", "_selected_action": [draft.pk]}, follow=True)
    messages = [str(message) for message in response.context["messages"]]
    assert any(message.startswith("尚未配置大语言模型：请设置 DIGEST_LLM_MODEL") for message in messages), messages
    assert not any("No LLM is configured" in message for message in messages)


def test_a_suggested_term_already_in_the_glossary_is_refused_in_chinese(boss_client, db):
    GlossaryTerm.objects.create(term="llm", rendering="大模型")
    suggestion = SuggestedTerm.objects.create(source="LLM", source_key="llm", machine_change="法学硕士",
                                              editor_change="大语言模型", machine_rendering="法学硕士",
                                              rendering="大语言模型", entries=3)
    response = boss_client.post(reverse("admin:translations_suggestedterm_accept", args=[suggestion.pk]),
                                follow=True)
    assert "术语表里已有“LLM”" in response.content.decode()


def test_a_stopped_worker_cluster_is_told_in_chinese_at_the_sites_time(boss_client, published_day, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    watchdog_schedule_install(now=timezone.now() - dt.timedelta(hours=1))
    last_beat = workers_status().last_beat
    page = boss_client.get(reverse("admin:publishing_digestday_changelist")).content.decode()
    since = timezone.localtime(last_beat).strftime("%Y-%m-%d %H:%M")
    assert f"后台任务：自 {since}（本站时间）起没有任务进程运行其计划任务" in page
    assert "no worker cluster" not in page
