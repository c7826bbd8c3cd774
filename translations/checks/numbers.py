"""The numbers check: a figure in the results that the paper never states (a hallucination)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from translations.checks.base import WARNING, CheckInput, Finding, register

# 12, 3.8, 1,700, 38.0%, 0.641 — but not parts of names like "Qwen3-8B", "emo2vec" or "ESC-50".
# The edges are drawn against Latin letters and digits only: in "提速9倍" the 9 is a number,
# although Chinese characters count as \w. Possessive: a long run of digits is one linear scan.
_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9_.-])\d++(?:[.,]\d++)*+(?![A-Za-z0-9_])")


def _normalise_number(number: str) -> str:
    plain = number.replace(",", "")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain


def numbers_in(text: str) -> set[str]:
    return {_normalise_number(match) for match in _NUMBER_RE.findall(text)}


@register(
    id="number_unverified",
    name=_("Number not in the paper"),
    severity=WARNING,
    description=_("A number in the tasks-and-results section that the paper's title, abstract and full text never "
                  "state. Whole numbers under 10 are left out: they are mostly counts and list markers."),
)
def number_unverified(source: CheckInput) -> Iterator[Finding]:
    known = numbers_in(source.source_text)
    seen: set[str] = set()
    for match in _NUMBER_RE.finditer(source.field_text("results_md")):
        number = _normalise_number(match.group(0))
        if number in seen or number in known or ("." not in number and int(number or 0) < 10):
            continue
        seen.add(number)
        yield Finding("number_unverified", "results_md", match.start(), match.end(),
                      f"数字 {match.group(0)} 未在论文原文中找到，请核对")
