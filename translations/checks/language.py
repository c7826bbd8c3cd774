"""Checks on the language of the Chinese text: English left in it, and an abstract far too short or long."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from translations.checks.base import WARNING, CheckInput, Finding, register
from translations.terminology import TermMatcher, TermRule

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")

# What may rightly hold English inside Chinese text, blanked out (same length) before looking:
# bracketed terms (full- or half-width), quoted titles, inline code, TeX and URLs. Each span is
# bounded, so a delimiter left open in hostile text costs one short scan, not one to the end.
_ALLOWED_ENGLISH_RE = re.compile(
    r"（[^（）]{0,500}）|\([^()]{0,500}\)|【[^【】]{0,500}】|\[[^\[\]]{0,500}\]|《[^《》]{0,500}》|“[^“”]{0,500}”"
    r"|\"[^\"]{0,500}\"|`[^`]{0,500}`|\$\$.{1,2000}?\$\$|(?<!\\)\$.{1,500}?(?<!\\)\$|\\\(.{1,500}?\\\)"
    r"|https?://\S+|www\.\S+",
    re.DOTALL,
)
# A run of Latin words joined only by spaces and light punctuation. It starts only at a word's
# start and never gives back what it took (possessive), so a long run of letters is one linear scan.
_ENGLISH_RUN_RE = re.compile(r"(?<![A-Za-z'’-])[A-Za-z][A-Za-z'’-]*+(?:[ ,;:]++[A-Za-z][A-Za-z'’-]*+)++[.!?]?")
ENGLISH_RUN_WORDS = 6  # at least this many words …
ENGLISH_RUN_LOWERCASE = 3  # … of which this many lower-case: a sentence, not a name or a title-cased term

# Chinese characters per English word of the abstract (a Latin word kept in the Chinese counts as two
# characters). The demo's hand translations and real drafts sit between 1.5 and 2.0.
ABSTRACT_RATIO_BAND = (0.9, 3.2)
ABSTRACT_MIN_WORDS = 20  # too short an abstract says nothing about the ratio


def chinese_share(text: str) -> float:
    """Share of Chinese characters among the letters of `text` (English terms in brackets are allowed)."""
    chinese = len(_CJK_RE.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    # A Latin word counts about as much as two Chinese characters of meaning.
    total = chinese + 2 * latin_words
    return chinese / total if total else 0.0


def _blank_allowed(text: str) -> str:
    return _ALLOWED_ENGLISH_RE.sub(lambda match: " " * len(match.group(0)), text)


def _blank_kept_names(text: str, source: CheckInput) -> str:
    """`text` with the glossary's names that stay English blanked (same length): keep-English terms
    (wav2vec 2.0, fairseq, Descript Audio Codec) and acronyms (MOS, SI-SDR). They are the translation."""
    matcher = source.glossary or TermMatcher(source.rules)
    for hit in matcher.find(text):
        if hit.rule.kind == TermRule.KEEP_ENGLISH or any(c.isupper() for c in hit.matched.strip()[1:]):
            text = text[:hit.start] + " " * (hit.end - hit.start) + text[hit.end:]
    return text


@register(
    id="english_left",
    name=_("English sentence left in the Chinese"),
    severity=WARNING,
    description=_("A run of six or more English words, most of them lower-case, outside brackets, quotes, TeX and links, "
                  "not counting the glossary's names kept in English: a sentence the translation left in English."),
)
def english_left(source: CheckInput) -> Iterator[Finding]:
    for name, text in source.text.items():
        for match in _ENGLISH_RUN_RE.finditer(_blank_kept_names(_blank_allowed(text or ""), source)):
            words = _LATIN_WORD_RE.findall(match.group(0))
            lowercase = sum(1 for word in words if word[0].islower())
            if len(words) >= ENGLISH_RUN_WORDS and lowercase >= ENGLISH_RUN_LOWERCASE:
                yield Finding("english_left", name, match.start(), match.end(), "译文中留有未翻译的英文句子")


@register(
    id="abstract_length",
    name=_("Abstract translation length"),
    severity=WARNING,
    description=_("The Chinese abstract is far shorter or longer than the English one (Chinese characters per "
                  "English word outside 0.9–3.2): a part left out, or something added."),
)
def abstract_length(source: CheckInput) -> Iterator[Finding]:
    english_words = len(_LATIN_WORD_RE.findall(source.abstract))
    chinese = source.field_text("abstract_zh")
    if english_words < ABSTRACT_MIN_WORDS or not chinese.strip():
        return
    ratio = (len(_CJK_RE.findall(chinese)) + 2 * len(_LATIN_WORD_RE.findall(chinese))) / english_words
    low, high = ABSTRACT_RATIO_BAND
    if ratio < low:
        yield Finding("abstract_length", "abstract_zh", None, None, f"译文摘要明显短于原文（每个英文词 {ratio:.1f} 个汉字），可能有遗漏")
    elif ratio > high:
        yield Finding("abstract_length", "abstract_zh", None, None, f"译文摘要明显长于原文（每个英文词 {ratio:.1f} 个汉字），可能有增添")
