"""Sentence splitting and alignment for the translation memory (plain functions)."""

from translations.segments import align, aligned_pairs, split_chinese, split_english


def test_english_split_keeps_abbreviations_initials_decimals_and_math_whole():
    text = ("Vocoders (e.g. HiFi-GAN) need many steps, cf. Fig. 2 of Smith et al. 2020. "
            "We gain 3.5 dB with $x. Y$ terms! Is it good? J. Smith agrees, i.e. It works.")
    assert split_english(text) == [
        "Vocoders (e.g. HiFi-GAN) need many steps, cf. Fig. 2 of Smith et al. 2020.",
        "We gain 3.5 dB with $x. Y$ terms!",
        "Is it good?",
        "J. Smith agrees, i.e. It works.",
    ]


def test_english_split_normalises_wrapped_lines():
    assert split_english("First line\n  goes on. Second\nsentence.") == ["First line goes on.", "Second sentence."]


def test_chinese_split_at_full_stops_with_closing_quotes_and_not_in_math():
    text = "我们提出“新方法。”效果显著！是否可靠？公式 $a!b$ 不拆分。"
    assert split_chinese(text) == ["我们提出“新方法。”", "效果显著！", "是否可靠？", "公式 $a!b$ 不拆分。"]


def test_equal_counts_align_one_to_one():
    beads = align(["A.", "B."], ["甲。", "乙。"])
    assert [(b.en, b.zh, b.confident) for b in beads] == [((0,), (0,), True), ((1,), (1,), True)]


def test_merged_sentences_align_by_length_and_are_not_confident():
    english = ["A short one.", "This is a much longer sentence about many different things that happen.",
               "Third sentence here."]
    chinese = ["短句。", "这是一个关于许多不同事情的更长的句子，非常长，第三句也在这里。"]
    beads = align(english, chinese)
    assert [(b.en, b.zh, b.confident) for b in beads] == [((0,), (0,), True), ((1, 2), (1,), False)]


def test_aligned_pairs_keep_only_confident_pairs():
    english = "A short one. This is a much longer sentence about many different things. Third sentence here."
    chinese = "短句。这是一个关于许多不同事情的更长的句子，第三句也在这里。"
    assert aligned_pairs(english, chinese) == [("A short one.", "短句。")]


def test_units_before_a_stop_end_the_sentence():
    assert split_english("The latency is 12 ms. On LibriTTS it works.") == [
        "The latency is 12 ms.", "On LibriTTS it works."]
