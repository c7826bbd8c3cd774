"""The numbers check: a figure in the Chinese text that the paper never states (a hallucination, or a
figure changed in translation: 81 % become 91 %)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from translations.checks.base import WARNING, CheckInput, Finding, register

# 12, 3.8, 1,700, 38.0%, 0.641 — but not parts of names like "Qwen3-8B", "emo2vec" or "ESC-50".
# The edges are drawn against Latin letters and digits only: in "提速9倍" the 9 is a number,
# although Chinese characters count as \w. Possessive: a long run of digits is one linear scan.
_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9_.-])\d++(?:[.,]\d++)*+(?![A-Za-z0-9_])")

# Numbers the English writes in words ("twelve regions", "thirty-one instruments"), which the
# Chinese may write in digits. Larger ones English papers write in digits.
_UNITS = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {word: value * 10 for value, word in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if word != "_"}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NUMBER_WORD_RE = re.compile(
    r"(?<![a-z])(?:(" + "|".join(_TENS) + r")(?:[- ](" + "|".join(_UNITS) + r"))?|(" + "|".join(_UNITS)
    + r"))(?:[- ](" + "|".join(_SCALES) + r"))?(?![a-z])",
    re.IGNORECASE,
)


def _normalise_number(number: str) -> str:
    plain = number.replace(",", "")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain


def numbers_in(text: str) -> set[str]:
    return {_normalise_number(match) for match in _NUMBER_RE.findall(text)}


def number_words_in(text: str) -> set[str]:
    """The numbers an English text writes in words, as digits."""
    found = set()
    for match in _NUMBER_WORD_RE.finditer(text):
        tens, unit, alone, scale = (group.lower() if group else None for group in match.groups())
        value = (_TENS[tens] + (_UNITS[unit] if unit else 0)) if tens else _UNITS[alone]
        found.add(str(value * (_SCALES[scale] if scale else 1)))
    return found


@register(
    id="number_unverified",
    name=_("Number not in the paper"),
    severity=WARNING,
    description=_("A number in any Chinese field (title, abstract, reading sections) that the paper's title, abstract, "
                  "full text and metadata never state, in digits or in English words. Whole numbers under 10 are left "
                  "out: they are mostly counts and list markers."),
)
def number_unverified(source: CheckInput) -> Iterator[Finding]:
    english = "\n".join([source.source_text, source.metadata])
    known = numbers_in(english)
    in_words: set[str] | None = None  # read only when a number is not written in digits: a long scan
    seen: set[str] = set()
    for name, text in source.text.items():
        for match in _NUMBER_RE.finditer(text or ""):
            number = _normalise_number(match.group(0))
            if number in seen or number in known or ("." not in number and int(number or 0) < 10):
                continue
            in_words = number_words_in(english) if in_words is None else in_words
            if number in in_words:
                continue
            seen.add(number)
            yield Finding("number_unverified", name, match.start(), match.end(),
                          f"数字 {match.group(0)} 未在论文原文中找到，请核对")
