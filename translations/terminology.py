"""The terminology base as drafting and the quality checks see it: rules, and where a text uses them.

This module is the interface between the glossary (GlossaryTerm rows, their import and export)
and its users (prompts, quality checks, the benchmark). Its users depend only on `TermRule`,
`TermHit`, `TermMatcher` and `glossary_matcher()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TermRule:
    """One glossary term: how its English source must appear in the Chinese text."""

    PREFERRED = "preferred"  # use `rendering`
    KEEP_ENGLISH = "keep_english"  # the English stays untranslated (codec, model and dataset names)

    source: str  # the English headword
    kind: str
    rendering: str = ""  # the Chinese to use ('' for keep-English terms)
    forbidden: tuple[str, ...] = ()  # Chinese strings that must not appear for this term
    variants: tuple[str, ...] = ()  # other English forms (plural, hyphenation, acronym ↔ expansion)
    note: str = ""
    category: str = ""
    term_id: int | None = None


@dataclass(frozen=True)
class TermHit:
    """A place where an English text uses a rule's source or one of its variants."""

    rule: TermRule
    start: int
    end: int
    matched: str


class TermMatcher:
    """Finds every rule's source and variants in a text, whole words only, any case."""

    def __init__(self, rules: Iterable[TermRule]):
        self.rules = tuple(rules)
        self._patterns = [
            (rule, re.compile(rf"(?<!\w){re.escape(form)}(?!\w)", re.IGNORECASE))
            for rule in self.rules
            for form in (rule.source, *rule.variants)
        ]

    def find(self, text: str) -> list[TermHit]:
        """Hits in text order; where two overlap the longer wins (the more specific term)."""
        hits = [
            TermHit(rule=rule, start=match.start(), end=match.end(), matched=match.group(0))
            for rule, pattern in self._patterns
            for match in pattern.finditer(text)
        ]
        hits.sort(key=lambda hit: (hit.start, -(hit.end - hit.start)))
        kept: list[TermHit] = []
        for hit in hits:
            if kept and hit.start < kept[-1].end:
                continue
            kept.append(hit)
        return kept

    def rules_in(self, text: str) -> list[TermRule]:
        """The distinct rules a text uses, most specific (longest source) first."""
        seen: dict[str, TermRule] = {}
        for hit in self.find(text):
            seen.setdefault(hit.rule.source, hit.rule)
        return sorted(seen.values(), key=lambda rule: -len(rule.source))


def glossary_matcher() -> TermMatcher:
    """A matcher over the glossary as it stands in the database."""
    from translations.models import GlossaryTerm

    return TermMatcher(
        TermRule(source=term, kind=TermRule.PREFERRED, rendering=rendering, term_id=pk)
        for pk, term, rendering in GlossaryTerm.objects.values_list("pk", "term", "rendering")
    )
