"""Ids a request names in the admin are the model's ids, in ASCII digits: an action's ticked rows
(`_selected_action`) or an object's URL that no key can hold name no row, never a 500, on every model
the newsroom's site registers (ours, Django's users, django-q2's)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from publishing.models import Entry
from tests.builders import demo_day_collected
from translations.models import MachineDraft


def arabic_indic(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


@pytest.fixture
def entry(db):
    return demo_day_collected().entries.order_by("position").first()


@pytest.mark.parametrize("ticked", ["²", "abc", "9" * 25, "-1"])
def test_an_action_on_rows_no_key_can_hold_changes_nothing_and_says_so(admin_client, entry, ticked):
    drafts = MachineDraft.objects.count()
    response = admin_client.post(reverse("admin:publishing_entry_changelist"),
                                 {"action": "draft_again", "_selected_action": [ticked, entry.pk]},
                                 follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "The ticked rows are not rows of this list; nothing was changed." in response.content.decode()
    assert MachineDraft.objects.count() == drafts


def test_an_id_in_arabic_indic_digits_does_not_name_the_row(admin_client, entry):
    drafts = MachineDraft.objects.count()
    admin_client.post(reverse("admin:publishing_entry_changelist"),
                      {"action": "draft_again", "_selected_action": [arabic_indic(entry.pk)]})
    assert MachineDraft.objects.count() == drafts
    page = admin_client.get(f"/admin/publishing/entry/{arabic_indic(entry.pk)}/change/", follow=True,
                            HTTP_ACCEPT_LANGUAGE="en")
    assert page.redirect_chain and "doesn’t exist" in page.content.decode()
    assert admin_client.get(reverse("admin:publishing_entry_change", args=[entry.pk])).status_code == 302


@pytest.mark.parametrize("object_id", ["abc", "²", "9" * 25])
def test_an_objects_page_under_an_id_no_key_can_hold_does_not_exist(admin_client, entry, object_id):
    for model in ("publishing/entry", "publishing/digestday", "auth/user"):
        page = admin_client.get(f"/admin/{model}/{object_id}/change/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200 and "doesn’t exist" in page.content.decode()


def test_djangos_own_admins_are_guarded_too(admin_client, db):
    kept = User.objects.create_user("kept")
    response = admin_client.post(reverse("admin:auth_user_changelist"),
                                 {"action": "delete_selected", "_selected_action": ["²", kept.pk]}, follow=True)
    assert response.status_code == 200
    assert User.objects.filter(pk=kept.pk).exists()


def test_an_action_on_real_rows_still_runs(admin_client, db):
    gone = User.objects.create_user("gone")
    admin_client.post(reverse("admin:auth_user_changelist"),
                      {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"})
    assert not User.objects.filter(pk=gone.pk).exists()
    assert Entry.objects.count() == 0
