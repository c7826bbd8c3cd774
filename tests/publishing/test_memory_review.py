"""The review page offers the translation memory's close matches beside the fields."""

import pytest
from django.urls import reverse
from django.utils import translation

from papers.models import Paper
from publishing.models import SourceChange
from translations import diffing, memory
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


SENTENCE = "A causal convolutional backbone keeps the algorithmic latency at {} ms on speech."
LONG_ABSTRACT = " ".join(SENTENCE.format(n % 7) for n in range(1250))  # 100,000 characters, repetitive


@pytest.fixture
def long_abstract_entry(drafted_day):
    """A 100,000-character abstract (arXiv caps them at 1,920) whose sentences the memory holds
    closely, with a newer arXiv version whose abstract differs all along."""
    assert len(LONG_ABSTRACT) > 100_000
    entry = drafted_day.entries.select_related("paper").get(paper__arxiv_id="2601.90008")
    Paper.objects.filter(pk=entry.paper_id).update(abstract=LONG_ABSTRACT)
    memory_import_units(pairs=[("abstract_sentence", SENTENCE.format(10), "因果卷积骨干网络将算法延迟控制在 10 毫秒。", "")])
    SourceChange.objects.create(entry=entry, old_version=1, new_version=2, old_abstract=LONG_ABSTRACT,
                                new_abstract=LONG_ABSTRACT.replace(" ms", " milliseconds"), changed_fields=["abstract"])
    return entry


def test_a_100000_character_abstract_is_reviewed_with_bounded_work(long_abstract_entry, client, editor, monkeypatch):
    """The page hung: every sentence of the abstract was looked up in the memory (> 300 s), and the
    word diffs were quadratic (4,000 words: 19.7 s). Now the lookups and each diff's input are capped."""
    lookups, compared = [], []
    close_matches, exact_part = memory.memory_close_matches, diffing._compared
    monkeypatch.setattr(memory, "memory_close_matches",
                        lambda kind, source, **options: lookups.append(source) or close_matches(kind, source, **options))
    monkeypatch.setattr(diffing, "_compared", lambda old, new: compared.append((len(old), len(new))) or exact_part(old, new))
    client.force_login(editor)
    response = client.get(reverse("admin:publishing_entry_review", args=[long_abstract_entry.pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200

    # Each distinct sentence of the abstract's first 4,000 characters once, and the title.
    assert len(lookups) == len(set(lookups)) == 8 and sum(map(len, lookups)) <= memory.MEMORY_ABSTRACT_CHARS
    assert "因果卷积骨干网络将算法延迟控制在 10 毫秒。" in html
    assert "only the abstract&#x27;s first 4,000 characters were looked up" in html
    # The newer version's abstract differs from start to end: shown whole, not compared, and said so.
    assert all(max(sizes) <= diffing.DIFF_MAX_UNITS for sizes in compared)
    assert "shown whole, not compared closely" in html


def test_an_edit_inside_a_long_text_is_still_compared_exactly():
    old = LONG_ABSTRACT
    new = old[:50_000] + "newly inserted words " + old[50_000:]
    with translation.override("en"):
        html = diffing.diff_words_html(old, new)
    assert html.count("<ins") == 1 and "newly inserted words" in html and "diff-capped" not in html


def test_repetitive_texts_are_diffed_within_the_cap():
    regions, capped = diffing.diff_regions("音" * 9_000, "音频" * 4_500)
    assert not capped and "".join("".join(new) for _changed, _old, new in regions) == "音频" * 4_500
    _regions, capped = diffing.diff_regions(["word", " "] * 6_000, ["other", " "] * 6_000)
    assert capped
