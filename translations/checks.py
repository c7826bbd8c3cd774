"""Quality checks on machine drafts: plain functions over text, no database."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[A-Za-z]")
# 12, 3.8, 1,700, 38.0%, 0.641 — but not parts of names like "Qwen3-8B", "emo2vec" or "ESC-50".
_NUMBER_RE = re.compile(r"(?<![\w.-])\d+(?:[.,]\d+)*(?![\w])")


def chinese_share(text: str) -> float:
    """Share of Chinese characters among the letters of `text` (English terms in brackets are allowed)."""
    chinese = len(_CJK_RE.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    # A Latin word counts about as much as two Chinese characters of meaning.
    total = chinese + 2 * latin_words
    return chinese / total if total else 0.0


def glossary_terms_in(text: str, terms: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (term, rendering) pairs whose English term occurs in `text` as a whole word, any case."""
    return [
        (term, rendering)
        for term, rendering in terms
        if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, flags=re.IGNORECASE)
    ]


def missing_glossary_renderings(chinese_text: str, used_terms: Iterable[tuple[str, str]]) -> list[dict]:
    return [
        {"kind": "glossary", "message": f"术语 “{term}” 应译为 “{rendering}”，译稿中未出现该译法"}
        for term, rendering in used_terms
        if rendering not in chinese_text
    ]


def _normalise_number(number: str) -> str:
    plain = number.replace(",", "")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain


def numbers_in(text: str) -> set[str]:
    return {_normalise_number(match) for match in _NUMBER_RE.findall(text)}


def unverified_numbers(results_text: str, source_text: str) -> list[dict]:
    """Numbers in the results section that the source never mentions (a hallucination check).

    Small whole numbers (under 10) are left out: they are mostly counts and list markers.
    """
    known = numbers_in(source_text)
    flagged: list[dict] = []
    seen: set[str] = set()
    for raw in _NUMBER_RE.findall(results_text):
        number = _normalise_number(raw)
        if number in seen or number in known or ("." not in number and int(number or 0) < 10):
            continue
        seen.add(number)
        flagged.append({"kind": "number", "message": f"数字 {raw} 未在论文原文中找到，请核对"})
    return flagged
