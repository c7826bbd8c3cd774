"""Roles per digest: an editor or chief editor given digest A acts on A's days, entries and publications, and
every action on digest B's is refused (403), in the admin's pages and in the services behind them."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from digests.access import digest_ids_of, user_may
from digests.models import Digest, DigestRole
from digests.roles import digest_roles_give
from publishing.days.services import day_acknowledge_attention, day_flag_attention
from publishing.models import DigestDay, Entry, Publication, ScheduledPublication, SourceChange
from publishing.permissions import PUBLISH_DAY, REVIEW_ENTRY
from publishing.posts.publication import day_publish, day_unpublish
from publishing.posts.scheduling import day_schedule_publication
from publishing.review.services import entry_approve, entry_reject, entry_text_restore
from publishing.review.submission import entry_review_submit
from tests.builders import approve_all, user_in
from translations.models import MachineDraft, Revision
from translations.revisions import text_current


@pytest.fixture
def digest_b(db):
    return Digest.objects.create(slug="nlp", name="NLP Daily", categories=["cs.CL"], anchor=dt.time(8, 50),
                                 time_zone="Asia/Shanghai", position=1)


@pytest.fixture
def days(drafted_day, digest_b):
    """{"A": the demo day of the first digest, "B": digest B's day of the same date holding the same papers}."""
    day_b = DigestDay.objects.create(digest=digest_b, date=drafted_day.date, window_start=drafted_day.window_start,
                                     window_end=drafted_day.window_end, status=DigestDay.Status.IN_REVIEW)
    for entry in drafted_day.entries.order_by("position"):
        Entry.objects.create(day=day_b, paper=entry.paper, paper_version=entry.paper_version, kind=entry.kind,
                             position=entry.position, state=Entry.State.IN_REVIEW)
    return {"A": drafted_day, "B": day_b}


@pytest.fixture
def editor_a(db):
    return user_in("Editor", "ed_a")


@pytest.fixture
def chief_a(db):
    return user_in("Chief editor", "chief_a")


def first_entry(day) -> Entry:
    return day.entries.select_related("paper").order_by("position").first()


def form_data(entry, **changes):
    revision = text_current(entry.paper)
    data = {name: getattr(revision, name) for name in Revision.TEXT_FIELDS}
    data.update(base_revision=revision.number, comment="", editor_note="", **changes)
    return data


ALLOWED = {"A": True, "B": False}


@pytest.fixture(params=["A", "B"])
def which(request):
    return request.param


def refused_or(response, which, *allowed_codes):
    if ALLOWED[which]:
        assert response.status_code in allowed_codes, response.status_code
    else:
        assert response.status_code == 403


# The review pages and the entry form -----------------------------------------------------------------------

def test_opening_the_review_pages(client, days, editor_a, which):
    client.force_login(editor_a)
    day, entry = days[which], first_entry(days[which])
    refused_or(client.get(reverse("admin:publishing_digestday_review", args=[day.pk])), which, 200)
    refused_or(client.get(reverse("admin:publishing_entry_review", args=[entry.pk])), which, 200)
    refused_or(client.get(reverse("admin:publishing_entry_revisions", args=[entry.pk])), which, 200)


@pytest.mark.parametrize(("button", "state"), [("_save", Entry.State.IN_REVIEW), ("_approve", Entry.State.APPROVED),
                                               ("_reject", Entry.State.REJECTED)])
def test_saving_approving_and_rejecting_on_the_entry_page(client, days, editor_a, which, button, state):
    client.force_login(editor_a)
    entry = first_entry(days[which])
    revisions = Revision.objects.filter(paper=entry.paper).count()
    response = client.post(reverse("admin:publishing_entry_review", args=[entry.pk]),
                           form_data(entry, title_zh="另一个标题", **{button: "1", "despite_errors": "on"}))
    refused_or(response, which, 302)
    entry.refresh_from_db()
    if ALLOWED[which]:
        assert entry.state == state and Revision.objects.filter(paper=entry.paper).count() == revisions + 1
    else:
        assert entry.state == Entry.State.IN_REVIEW and Revision.objects.filter(paper=entry.paper).count() == revisions


def test_restoring_a_revision(client, days, editor_a, which, django_capture_on_commit_callbacks):
    client.force_login(editor_a)
    entry = first_entry(days[which])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:publishing_entry_review", args=[days["A"].entries.get(paper=entry.paper).pk]),
                    form_data(entry, title_zh="第二版", _save="1"))
    response = client.post(reverse("admin:publishing_entry_revisions", args=[entry.pk]),
                           {"restore": 1, "base_revision": 2})
    refused_or(response, which, 302)
    assert text_current(entry.paper).number == (3 if ALLOWED[which] else 2)


@pytest.fixture
def llm_configured(settings):
    """An LLM configured (drafts are queued; no worker runs them here)."""
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, settings.DIGEST_LLM_MODEL = "http://127.0.0.1:9/v1", "k", "stub"


def test_drafting_again_from_the_entry_page(client, days, editor_a, which, llm_configured):
    client.force_login(editor_a)
    entry = first_entry(days[which])
    drafts = MachineDraft.objects.filter(paper=entry.paper).count()
    response = client.post(reverse("admin:publishing_entry_review", args=[entry.pk]), {"_source_redraft": "1"})
    refused_or(response, which, 302)
    assert MachineDraft.objects.filter(paper=entry.paper).count() == drafts + ALLOWED[which]


def test_the_draft_again_action_takes_only_the_users_digests_entries(client, days, editor_a, which, llm_configured):
    client.force_login(editor_a)
    entry = first_entry(days[which])
    drafts = MachineDraft.objects.count()
    client.post(reverse("admin:publishing_entry_changelist"), {"action": "draft_again", "_selected_action": [entry.pk]})
    assert MachineDraft.objects.count() == drafts + ALLOWED[which]


def test_approving_and_rejecting_on_the_day_page(client, days, editor_a, which):
    client.force_login(editor_a)
    day = days[which]
    entry = first_entry(day)
    response = client.post(reverse("admin:publishing_digestday_review", args=[day.pk]),
                           {"entry": [entry.pk], "_approve": "1", "despite_errors": "on",
                            f"seen-{entry.pk}": text_current(entry.paper).number})
    refused_or(response, which, 302)
    entry.refresh_from_db()
    assert entry.state == (Entry.State.APPROVED if ALLOWED[which] else Entry.State.IN_REVIEW)


# Publishing, scheduling and acknowledging --------------------------------------------------------------------

@pytest.fixture
def approved_days(days, editor_a):
    approve_all(days["A"], editor_a, despite_errors=True)
    for entry in days["B"].entries.select_related("paper"):  # approved as B's own editors would
        Entry.objects.filter(pk=entry.pk).update(state=Entry.State.APPROVED, approved_at=timezone.now(),
                                                 approved_revision=text_current(entry.paper))
    return days


def test_publishing_now(client, approved_days, chief_a, which, django_capture_on_commit_callbacks):
    client.force_login(chief_a)
    day = approved_days[which]
    url = reverse("admin:publishing_digestday_publish", args=[day.pk])
    opened = client.get(url)
    refused_or(opened, which, 200)
    content_hash = opened.context["preview"].content_hash if ALLOWED[which] else "x"
    with django_capture_on_commit_callbacks(execute=True):
        refused_or(client.post(url, {"content_hash": content_hash}), which, 302)
    assert Publication.objects.filter(day=day).exists() == ALLOWED[which]


def test_scheduling_and_cancelling(client, approved_days, chief_a, which):
    client.force_login(chief_a)
    day = approved_days[which]
    publish_at = timezone.localtime(timezone.now() + dt.timedelta(hours=1))
    response = client.post(reverse("admin:publishing_digestday_publish", args=[day.pk]),
                           {"publish_at": f"{publish_at:%Y-%m-%dT%H:%M}"})
    refused_or(response, which, 302)
    assert ScheduledPublication.objects.filter(day=day).exists() == ALLOWED[which]
    if not ALLOWED[which]:  # B's own chief editor scheduled it: A's may not cancel it
        B_chief = user_in("Chief editor", "chief_b", digests=[day.digest])
        scheduled = day_schedule_publication(day=day, user=B_chief, publish_at=publish_at)
        response = client.post(reverse("admin:publishing_digestday_cancel_scheduled", args=[day.pk]),
                               {"scheduled": scheduled.pk})
        assert response.status_code == 403
        scheduled.refresh_from_db()
        assert scheduled.status == ScheduledPublication.Status.PENDING


def test_unpublishing(client, approved_days, chief_a, which, django_capture_on_commit_callbacks):
    day = approved_days[which]
    with django_capture_on_commit_callbacks(execute=True):
        day_publish(day=day, user=None)  # an operator's command
    client.force_login(chief_a)
    url = reverse("admin:publishing_digestday_unpublish", args=[day.pk])
    refused_or(client.get(url), which, 200)
    with django_capture_on_commit_callbacks(execute=True):
        refused_or(client.post(url), which, 302)
    day.refresh_from_db()
    assert (day.live_publication_id is None) == ALLOWED[which]


def test_the_publish_action_of_the_days_list_takes_only_the_users_digests_days(
        client, approved_days, chief_a, django_capture_on_commit_callbacks):
    client.force_login(chief_a)
    day_b = approved_days["B"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:publishing_digestday_changelist"),
                    {"action": "publish_days_approved_only", "_selected_action": [day_b.pk], "post": "yes"})
    assert not Publication.objects.filter(day=day_b).exists()


def test_acknowledging_a_flag(client, days, chief_a, which):
    day = days[which]
    day_flag_attention(day=day, step="collect", reason="the feed looked stale")
    client.force_login(chief_a)
    url = reverse("admin:publishing_digestday_review", args=[day.pk])
    opened = client.get(url)
    refused_or(opened, which, 200)
    flag = opened.context["acknowledge_form"]["flag"].value() if ALLOWED[which] else 1
    refused_or(client.post(url, {"_acknowledge": "1", "flag": flag, "reason": "holiday"}), which, 302)
    day.refresh_from_db()
    assert (day.status == DigestDay.Status.NEEDS_ATTENTION) != ALLOWED[which]


# The services refuse too (a crafted call, a command) ------------------------------------------------------------

def test_the_services_refuse_another_digests_rows(approved_days, editor_a, chief_a):
    day_b = approved_days["B"]
    entry_b = first_entry(day_b)
    refusals = [
        lambda: entry_approve(entry=entry_b, user=editor_a),
        lambda: entry_reject(entry=entry_b, user=editor_a),
        lambda: entry_review_submit(entry=entry_b, user=editor_a, text=text_current(entry_b.paper).text(),
                                    base_number=text_current(entry_b.paper).number, note="n"),
        lambda: entry_text_restore(entry=entry_b, user=editor_a, number=1, base_number=1),
        lambda: day_publish(day=day_b, user=chief_a),
        lambda: day_unpublish(day=day_b, user=chief_a),
        lambda: day_schedule_publication(day=day_b, user=chief_a, publish_at=timezone.now() + dt.timedelta(hours=1)),
        lambda: day_acknowledge_attention(day=day_b, user=chief_a, reason="fine"),
    ]
    for refused in refusals:
        with pytest.raises(PermissionDenied):
            refused()
    assert not Publication.objects.filter(day=day_b).exists()


def test_the_role_in_each_digest_decides_what_a_person_may_do_there(days, chief_a, digest_b):
    """A chief editor of A who is an editor of B reviews in B but does not publish there."""
    digest_roles_give(user=chief_a, role="editor", digests=[digest_b])
    chief_a = User.objects.get(pk=chief_a.pk)
    home = days["A"].digest_id
    assert user_may(chief_a, PUBLISH_DAY, home) and not user_may(chief_a, PUBLISH_DAY, digest_b)
    assert user_may(chief_a, REVIEW_ENTRY, digest_b)
    assert [g.name for g in chief_a.groups.all()] == ["Chief editor"]
    with pytest.raises(PermissionDenied):
        day_publish(day=days["B"], user=chief_a, approved_only=True)


# The lists and object pages -------------------------------------------------------------------------------------

def test_lists_show_only_the_users_digests_rows_and_other_rows_are_refused(
        client, approved_days, chief_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for day in approved_days.values():
            day_publish(day=day, user=None)
    entry_b = first_entry(approved_days["B"])
    SourceChange.objects.create(entry=entry_b, old_version=1, new_version=2, changed_fields=["title"])
    client.force_login(chief_a)
    lists = {"digestday": DigestDay, "entry": Entry, "publication": Publication, "sourcechange": SourceChange}
    for name, model in lists.items():
        shown = client.get(reverse(f"admin:publishing_{name}_changelist")).context["cl"].queryset
        digest_path = {"digestday": "digest", "entry": "digest", "publication": "day__digest",
                       "sourcechange": "entry__digest"}[name]
        assert set(shown.values_list(f"{digest_path}_id", flat=True)) <= {approved_days["A"].digest_id}, name
    publication_b = Publication.objects.get(day=approved_days["B"])
    assert client.get(reverse("admin:publishing_digestday_change", args=[approved_days["B"].pk])).status_code == 403
    assert client.get(reverse("admin:publishing_digestday_change", args=[approved_days["A"].pk])).status_code == 200
    assert client.get(reverse("admin:publishing_publication_change", args=[publication_b.pk])).status_code == 403
    assert client.get(reverse("admin:publishing_publication_markdown", args=[publication_b.pk])).status_code == 403
    assert client.get(reverse("admin:publishing_entry_change", args=[entry_b.pk])).status_code == 403


def test_superusers_and_site_editors_see_every_digest(days, digest_b):
    root = User.objects.create_superuser("root", password="pw")
    site = user_in("Site editor", "site")
    assert digest_ids_of(root) is None and digest_ids_of(site) is None
    assert digest_ids_of(user_in("Editor", "ed")) == {days["A"].digest_id}
    # A site editor manages digests and people; reviewing and publishing is not theirs.
    assert not user_may(site, REVIEW_ENTRY, digest_b)


def test_the_digest_filter_is_offered_to_people_of_several_digests(client, days, editor_a, digest_b):
    client.force_login(editor_a)
    url = reverse("admin:publishing_entry_changelist")
    assert "?digest=" not in client.get(url).content.decode()  # one digest: nothing to choose
    DigestRole.objects.create(user=editor_a, digest=digest_b, role="editor")
    page = client.get(url).content.decode()
    assert f"?digest={digest_b.pk}" in page
    shown = client.get(url, {"digest": digest_b.pk}).context["cl"].queryset
    assert set(shown.values_list("digest_id", flat=True)) == {digest_b.pk}


# What the pages show ---------------------------------------------------------------------------------------------

def test_the_front_page_groups_the_work_by_the_users_digests(client, days, editor_a, digest_b):
    client.force_login(editor_a)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="front-digest-daily"' in page and 'id="front-day-2026-01-09"' in page
    assert 'id="front-digest-nlp"' not in page and "NLP Daily" not in page
    assert "6 entries are still awaiting a draft or in review (days concerned: 1)." in page

    DigestRole.objects.create(user=editor_a, digest=digest_b, role="editor")
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="front-digest-nlp"' in page and 'id="front-day-nlp-2026-01-09"' in page
    assert page.index('id="front-digest-daily"') < page.index('id="front-digest-nlp"')
    assert "<h3>NLP Daily</h3>" in page
    assert "12 entries are still awaiting a draft or in review (days concerned: 2)." in page


def test_the_entry_page_names_the_papers_digests_and_an_approval_of_its_text_elsewhere(client, days, editor_a):
    entry_a, entry_b = first_entry(days["A"]), first_entry(days["B"])
    user_b = user_in("Editor", "ed_b", digests=[days["B"].digest])
    client.force_login(editor_a)
    page = client.get(reverse("admin:publishing_entry_review", args=[entry_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    shown = page.content.decode().split('id="entry-digests"')[1].split("</p>")[0]
    assert "NLP Daily (2026-01-09, in review)" in " ".join(shown.split())
    assert reverse("admin:publishing_entry_review", args=[entry_b.pk]) not in shown  # not theirs: named, not linked
    assert 'id="approved-elsewhere"' not in page.content.decode()

    entry_approve(entry=entry_b, user=user_b, despite_errors=True)
    page = client.get(reverse("admin:publishing_entry_review", args=[entry_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "The current text is already approved in another digest: NLP Daily." in page.content.decode()
