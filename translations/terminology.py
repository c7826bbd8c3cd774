"""The terminology base as drafting and the quality checks see it: rules, and where a text uses them.

This module is the interface between the glossary (GlossaryTerm rows, their import and export)
and its users (prompts, quality checks, the benchmark). Its users depend only on `TermRule`,
`TermHit`, `TermMatcher` and `glossary_matcher()`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick


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


# Matching works on a folded copy of the text of the same length, so offsets need no mapping:
# ASCII capitals become small letters, and every hyphen, dash and white-space character a space
# ("Text-to-Speech" and "text to speech" fold alike).
_FOLD = {ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_FOLD.update({ord(c): ord(" ") for c in "-\u2010\u2011\u2012\u2013\t\n\r\f\v\u00a0\u3000"})
_SPACES_RE = re.compile(r" +")
# An all-capitals form ("MOS", "SE", "WER") is an acronym: matched only in capitals, so that
# "SE" does not match "se" in a French title. A trailing small "s" is its plural ("LLMs").


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _plurals(form: str) -> list[str]:
    """Simple English plurals of a folded form whose last word ends in a letter."""
    if not form or not form[-1].isalpha() or not form[-1].isascii():
        return []
    if form.endswith(("s", "x", "z", "ch", "sh")):
        return [form + "es"]
    if form.endswith("y") and len(form) > 1 and form[-2] not in "aeiou":
        return [form[:-1] + "ies", form + "s"]
    return [form + "s"]


class TermMatcher:
    """Finds every rule's source and variants in a text, whole words only, any case.

    Built once into an Aho–Corasick automaton over all forms, so a text is read once whatever
    the number of terms. A hit needs no ASCII letter or digit just before or after it; case is
    ignored except for acronyms; hyphens and spaces are interchangeable; simple plurals match.
    """

    def __init__(self, rules: Iterable[TermRule]):
        self.rules = tuple(rules)
        # folded key -> [(rule, exact form or None)]: None when any case matches.
        self._automaton = ahocorasick.Automaton()
        forms: dict[str, list[tuple[TermRule, str | None]]] = {}
        for rule in self.rules:
            for form in (rule.source, *rule.variants):
                form = " ".join(form.split())
                if not form:
                    continue
                acronym = not any(c.islower() for c in form) and sum(c.isupper() for c in form) >= 2
                folded = _SPACES_RE.sub(" ", _fold(form))
                exact = _SPACES_RE.sub(" ", form.translate({k: v for k, v in _FOLD.items() if v == ord(" ")}))
                for key, expected in [(folded, exact if acronym else None)] + [
                    (plural, exact + plural[len(folded):] if acronym else None) for plural in _plurals(folded)
                ]:
                    entries = forms.setdefault(key, [])
                    if (rule, expected) not in entries:
                        entries.append((rule, expected))
        for key, entries in forms.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        self._empty = not forms
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[TermHit]:
        """Hits in text order; where two overlap the longer wins (the more specific term)."""
        if self._empty or not text:
            return []
        folded = _fold(text)
        spaced = text.translate({k: v for k, v in _FOLD.items() if v == ord(" ")})
        candidates: list[tuple[int, int, TermRule]] = []
        for last, (length, entries) in self._automaton.iter(folded):
            start, end = last - length + 1, last + 1
            if (start > 0 and _is_word_char(text[start - 1])) or (end < len(text) and _is_word_char(text[end])):
                continue
            for rule, expected in entries:
                if expected is None or spaced[start:end] == expected:
                    candidates.append((start, end, rule))
                    break
        candidates.sort(key=lambda hit: (hit[0], -(hit[1] - hit[0])))
        kept: list[TermHit] = []
        for start, end, rule in candidates:
            if kept and start < kept[-1].end:
                continue
            kept.append(TermHit(rule=rule, start=start, end=end, matched=text[start:end]))
        return kept

    def rules_in(self, text: str) -> list[TermRule]:
        """The distinct rules a text uses, most specific (longest source) first."""
        seen: dict[str, TermRule] = {}
        for hit in self.find(text):
            seen.setdefault(hit.rule.source, hit.rule)
        return sorted(seen.values(), key=lambda rule: -len(rule.source))


def rule_from_term(term) -> TermRule:
    """The rule for one GlossaryTerm row."""
    return TermRule(
        source=term.term,
        kind=term.kind,
        rendering=term.rendering,
        forbidden=tuple(term.forbidden or ()),
        variants=tuple(term.variants or ()),
        note=term.note,
        category=term.category,
        term_id=term.pk,
    )


_cache_lock = threading.Lock()
_cached: tuple[tuple, TermMatcher] | None = None


def _glossary_stamp() -> tuple:
    """What changes whenever the glossary does: a row added, changed (updated_at) or deleted (count)."""
    from django.db.models import Count, Max

    from translations.models import GlossaryTerm

    stamp = GlossaryTerm.objects.aggregate(count=Count("id"), changed=Max("updated_at"), last=Max("id"))
    return (stamp["count"], stamp["changed"], stamp["last"])


def glossary_matcher() -> TermMatcher:
    """A matcher over the glossary as it stands in the database.

    Building the automaton for thousands of terms takes a moment, so it is built once per
    process and kept until the glossary's stamp changes (one small query per call). A stamp
    rather than signals: drafting runs in other processes than the admin that edits terms.
    """
    global _cached
    from translations.models import GlossaryTerm

    stamp = _glossary_stamp()
    with _cache_lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    matcher = TermMatcher(rule_from_term(term) for term in GlossaryTerm.objects.all())
    with _cache_lock:
        _cached = (stamp, matcher)
    return matcher
