"""The review page offers the translation memory's close matches beside the fields."""

from django.urls import reverse

from translations.memory import memory_import_units


def test_close_matches_are_offered_with_the_english_difference_escaped(drafted_day, client, editor):
    entry = drafted_day.entries.select_related("paper").get(paper__arxiv_id="2601.90008")
    memory_import_units(pairs=[
        ("abstract_sentence", "A causal convolutional backbone keeps the <b>algorithmic</b> latency at 10 ms.",
         "因果卷积骨干网络将算法延迟控制在 10 毫秒。", ""),
        ("abstract_sentence", "An unrelated sentence about rainfall in the mountains of Peru.", "无关。", ""),
    ])
    client.force_login(editor)
    html = client.get(reverse("admin:publishing_entry_review", args=[entry.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="memory-suggestions"' in html and "Abstract, sentence 3" in html
    assert "因果卷积骨干网络将算法延迟控制在 10 毫秒。" in html and "无关" not in html
    assert "&lt;b&gt;algorithmic&lt;/b&gt;" in html and "<b>algorithmic" not in html
    assert "10</del>" in html and "12</ins>" in html


def test_no_memory_no_suggestions(drafted_day, client, editor):
    entry = drafted_day.entries.first()
    client.force_login(editor)
    html = client.get(reverse("admin:publishing_entry_review", args=[entry.pk])).content.decode()
    assert 'id="memory-suggestions"' not in html
