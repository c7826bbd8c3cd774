"""The glossary's matcher and its rows: word boundaries, variants, acronyms, caching, validation."""

import time

import pytest
from django.core.exceptions import ValidationError

from translations.models import GlossaryTerm
from translations.terminology import TermMatcher, TermRule, glossary_matcher


def rule(source, rendering="译", *, kind=TermRule.PREFERRED, variants=()):
    return TermRule(source=source, kind=kind, rendering=rendering, variants=tuple(variants))


def matched(matcher, text):
    return [(hit.matched, hit.rule.source) for hit in matcher.find(text)]


def test_whole_words_only_in_any_case():
    matcher = TermMatcher([rule("codec"), rule("token")])
    text = "Codecs and a CODEC; codecx, xcodec, token2vec, tokens, 词元token"
    assert matched(matcher, text) == [("Codecs", "codec"), ("CODEC", "codec"), ("tokens", "token"), ("token", "token")]


def test_hyphens_and_spaces_are_interchangeable_and_plurals_match():
    matcher = TermMatcher([rule("text-to-speech"), rule("speech corpus"), rule("energy")])
    text = "Text to Speech, text‐to‐speech, speech\ncorpuses, energies"
    assert [m for m, _ in matched(matcher, text)] == ["Text to Speech", "text‐to‐speech", "speech\ncorpuses", "energies"]


def test_acronyms_match_in_capitals_only_and_expansions_are_variants():
    matcher = TermMatcher([rule("LLM", "大语言模型", variants=["large language model"]), rule("SE", "语音增强")])
    text = "Large language models (LLMs) and an llm; per se, SE works"
    assert matched(matcher, text) == [
        ("Large language models", "LLM"), ("LLMs", "LLM"), ("SE", "SE"),
    ]


def test_a_name_with_capitals_inside_matches_in_its_own_case_only():
    """Seen in the demo: the keep-English model name BEATs matched "aligned to beats" in an abstract."""
    matcher = TermMatcher([rule("BEATs"), rule("HuBERT"), rule("Transformer", "Transformer")])
    text = "A chord encoder aligned to beats, with BEATs and HuBERT features; a hubert; transformers."
    assert matched(matcher, text) == [("BEATs", "BEATs"), ("HuBERT", "HuBERT"), ("transformers", "Transformer")]


def test_the_longest_overlapping_term_wins_and_rules_come_most_specific_first():
    matcher = TermMatcher([rule("language model"), rule("speech language model"), rule("model")])
    hits = matcher.find("A speech language model is a model.")
    assert [(h.start, h.end, h.rule.source) for h in hits] == [(2, 23, "speech language model"), (29, 34, "model")]
    assert [r.source for r in matcher.rules_in("a model; a language model")] == ["language model", "model"]


def test_five_thousand_terms_match_a_paper_in_well_under_twenty_milliseconds():
    import random
    import string

    rng = random.Random(12)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(3000)]
    rules = [rule(" ".join(rng.sample(words, rng.randint(1, 3)))) for _ in range(5000)]
    matcher = TermMatcher(rules)
    filler = ["".join(rng.choices(string.ascii_uppercase, k=rng.randint(2, 9))).lower() + "q" for _ in range(2000)]
    # A long paper's worth of words (40,000 characters), one in twenty a glossary word.
    text = " ".join(rng.choice(words) if i % 20 == 0 else rng.choice(filler) for i in range(6000))
    timings = []
    for _ in range(3):  # the best of three: other processes share the machine
        started = time.perf_counter()
        found = matcher.rules_in(text)
        timings.append(time.perf_counter() - started)
    assert found and min(timings) < 0.02


def test_the_glossary_matcher_is_cached_until_the_glossary_changes(db, django_assert_num_queries):
    term = GlossaryTerm.objects.create(term="vocoder", rendering="声码器")
    first = glossary_matcher()
    with django_assert_num_queries(1):  # only the stamp: the automaton is reused
        assert glossary_matcher() is first
    term.rendering = "声音编码器"
    term.save()
    assert glossary_matcher().rules_in("a vocoder")[0].rendering == "声音编码器"
    GlossaryTerm.objects.create(term="codec", kind=GlossaryTerm.Kind.KEEP_ENGLISH)
    assert [r.kind for r in glossary_matcher().rules_in("codec")] == [TermRule.KEEP_ENGLISH]
    term.delete()
    assert glossary_matcher().rules_in("a vocoder") == []


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"term": "vocoder", "rendering": ""}, "rendering"),
        ({"term": "EnCodec", "kind": GlossaryTerm.Kind.KEEP_ENGLISH, "rendering": "编码器"}, "rendering"),
        ({"term": "token", "rendering": "词元", "forbidden": ["令牌", "词元"]}, "forbidden"),
        ({"term": "LLM", "rendering": "大语言模型"}, "term"),
    ],
)
def test_invalid_terms_are_refused_with_the_field_at_fault(db, fields, field):
    GlossaryTerm.objects.create(term="llm", rendering="大语言模型")
    with pytest.raises(ValidationError) as refused:
        GlossaryTerm(**fields).full_clean()
    assert field in refused.value.message_dict


def test_the_database_refuses_a_source_twice_in_any_case(db):
    from django.db import IntegrityError

    GlossaryTerm.objects.create(term="WavLM", kind=GlossaryTerm.Kind.KEEP_ENGLISH)
    with pytest.raises(IntegrityError):
        GlossaryTerm.objects.create(term="wavlm", kind=GlossaryTerm.Kind.KEEP_ENGLISH)


def test_clean_tidies_variants_and_forbidden(db):
    term = GlossaryTerm(term=" automatic  speech recognition ", rendering="自动语音识别",
                        variants=["ASR", " ASR", "Automatic speech recognition", ""], forbidden=["语音自动识别 ", ""])
    term.full_clean()
    assert (term.term, term.variants, term.forbidden) == ("automatic speech recognition", ["ASR"], ["语音自动识别"])
