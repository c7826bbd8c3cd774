"""A corrected day has a public version history: each version, the chief editor's note, what changed."""

import re

from django.urls import reverse

from public.page_cache import public_cache_clear
from publishing.models import Publication
from publishing.review.services import entry_approve
from tests.builders import edit


def test_a_correction_with_a_note_shows_on_the_version_history(client, published_day, editor, chief,
                                                               django_capture_on_commit_callbacks):
    entry = published_day.entries.select_related("paper").get(position=1)
    edit(entry, editor, django_capture_on_commit_callbacks, title_zh="更正后的中文标题")
    entry_approve(entry=entry, user=editor)
    client.force_login(chief)
    url = reverse("admin:publishing_digestday_publish", args=[published_day.pk])
    page = client.get(url).content.decode()
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', page).group(1)
    assert 'name="correction_note"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"content_hash": content_hash, "correction_note": "更正了第一篇的中文标题。"})
    assert Publication.objects.get(version=2).correction_note == "更正了第一篇的中文标题。"
    client.logout()
    public_cache_clear()

    day_page = client.get("/days/2026-01-09/").content.decode()
    assert 'href="/days/2026-01-09/versions/"' in day_page
    history = client.get("/days/2026-01-09/versions/").content.decode()
    assert 'id="version-2"' in history and 'id="version-1"' in history
    assert "更正了第一篇的中文标题。" in history
    assert f'href="/papers/{entry.paper.arxiv_id}/"' in history and '<ins class="diff-ins">' in history


def test_the_version_history_of_a_day_readers_cannot_see_is_not_found(client, drafted_day):
    assert client.get("/days/2026-01-09/versions/").status_code == 404
