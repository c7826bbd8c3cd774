"""The three glossary checks: preferred rendering, forbidden rendering, keep-English terms.

They read only the `TermRule`s given (those the paper uses, from `translations.terminology`).
A term counts as used by the summary when it occurs in the English title or abstract: a term
met only deep in the full text may rightly be absent from a short Chinese reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from translations.checks.base import ERROR, WARNING, CheckInput, Finding, register
from translations.terminology import TermMatcher, TermRule


def _english_forms(rule: TermRule) -> tuple[str, ...]:
    return (rule.source, *rule.variants)


@lru_cache(maxsize=8192)
def _english_in_chinese(form: str) -> re.Pattern:
    # Compiled once per process: the glossary's terms recur paper after paper, and re's own
    # cache (512 patterns) is too small for a glossary of thousands.
    # In Chinese text a Latin word touches Chinese characters (which count as \w), so the word
    # boundary is drawn against Latin letters and digits only.
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", re.IGNORECASE)


def _first_english_use(source: CheckInput, rule: TermRule) -> tuple[str, int, int] | None:
    """Where the Chinese text writes one of the rule's English forms: (field, start, end), first found."""
    for name, text in source.text.items():
        for form in _english_forms(rule):
            match = _english_in_chinese(form).search(text or "")
            if match:
                return name, match.start(), match.end()
    return None


def _used_in_summary_source(source: CheckInput) -> dict[str, str]:
    """For each rule's source used in the English title or abstract, the Chinese field that renders it."""
    matcher = TermMatcher(source.rules)
    where: dict[str, str] = {}
    for hit in matcher.find(source.abstract):
        where.setdefault(hit.rule.source, "abstract_zh")
    for hit in matcher.find(source.title):
        where[hit.rule.source] = "title_zh"
    return where


def _whole_chinese(source: CheckInput) -> str:
    return "\n".join(text or "" for text in source.text.values())


@register(
    id="glossary_preferred",
    name=_("Glossary term not rendered as preferred"),
    severity=WARNING,
    description=_("The paper's title or abstract uses a glossary term, and the Chinese text lacks its preferred "
                  "rendering (or writes the English term in its place)."),
)
def glossary_preferred(source: CheckInput) -> Iterator[Finding]:
    chinese = _whole_chinese(source)
    used = _used_in_summary_source(source)
    for rule in source.rules:
        if rule.kind != TermRule.PREFERRED or not rule.rendering or rule.rendering in chinese:
            continue
        english = _first_english_use(source, rule)
        if english is not None:
            field, start, end = english
            yield Finding("glossary_preferred", field, start, end,
                          f"术语 “{rule.source}” 应译为 “{rule.rendering}”，译稿中仍写作英文")
        elif rule.source in used:
            yield Finding("glossary_preferred", used[rule.source], None, None,
                          f"术语 “{rule.source}” 应译为 “{rule.rendering}”，译稿中未出现该译法")


@register(
    id="glossary_forbidden",
    name=_("Forbidden rendering used"),
    severity=ERROR,
    description=_("The Chinese text uses a rendering the glossary forbids for a term the paper uses "
                  "(for example 法学硕士 for LLM)."),
)
def glossary_forbidden(source: CheckInput) -> Iterator[Finding]:
    for rule in source.rules:
        for forbidden in rule.forbidden:
            if not forbidden:
                continue
            for name, text in source.text.items():
                for match in re.finditer(re.escape(forbidden), text or ""):
                    preferred = f"，应为 “{rule.rendering}”" if rule.rendering else "，应保留英文"
                    yield Finding("glossary_forbidden", name, match.start(), match.end(),
                                  f"“{forbidden}” 是术语 “{rule.source}” 的禁用译法{preferred}")


@register(
    id="glossary_keep_english",
    name=_("Keep-English term translated"),
    severity=ERROR,
    description=_("The paper's title or abstract names something the glossary keeps in English (a codec, model "
                  "or dataset name), and the Chinese text does not write it in English."),
)
def glossary_keep_english(source: CheckInput) -> Iterator[Finding]:
    used = _used_in_summary_source(source)
    for rule in source.rules:
        if rule.kind != TermRule.KEEP_ENGLISH or rule.source not in used:
            continue
        if _first_english_use(source, rule) is None:
            yield Finding("glossary_keep_english", used[rule.source], None, None,
                          f"“{rule.source}” 应保留英文原文，译稿中未出现")
