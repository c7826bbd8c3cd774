"""The terminology base as drafting and the quality checks see it: rules, and where a text uses them.

This module is the interface between the glossary (GlossaryTerm rows, their import and export)
and its users (prompts, quality checks, the benchmark). Its users depend only on `TermRule`,
`TermHit`, `TermMatcher`, `glossary_matcher()` and `paper_glossary()`.

The glossary is the newsroom's, with per-digest additions: `glossary_matcher(digests)` is the newsroom's
terms with the additions of those digests, a digest's term winning over the newsroom's for the same
English (any case). Which digests hold a paper is publishing's knowledge; it answers `paper_digests_asked`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick
import django.dispatch

# Sent with `paper`; a receiver answers with the ids of the digests whose days hold the paper, in the digests'
# order (publishing's entries: translations imports no app above it).
paper_digests_asked = django.dispatch.Signal()


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


@dataclass(frozen=True)
class ChineseHit:
    """A place where a Chinese text writes a rule's rendering (or, `forbidden`, one of its forbidden renderings)."""

    rule: TermRule
    start: int
    end: int
    matched: str
    forbidden: bool


_EMPTY = object()


def _chinese_automaton(rules: Iterable[TermRule]):
    """An automaton over the rules' Chinese renderings and forbidden renderings, as written (Chinese has
    no case and no word boundaries). A string that is one rule's rendering and another's forbidden
    form counts as the rendering; the first rule of a rendering wins."""
    keys: dict[str, tuple[int, TermRule, bool]] = {}
    for rule in rules:
        for form, forbidden in [(rule.rendering, False)] + [(form, True) for form in rule.forbidden]:
            form = form.strip()
            if not form or (form in keys and (forbidden or not keys[form][2])):
                continue
            keys[form] = (len(form), rule, forbidden)
    if not keys:
        return _EMPTY
    automaton = ahocorasick.Automaton()
    for form, value in keys.items():
        automaton.add_word(form, value)
    automaton.make_automaton()
    return automaton


# Matching works on folded copies of the text of the same length, so offsets need no mapping:
# every character that is not an ASCII letter or digit becomes a space (a non-ASCII character
# first becomes one "?", so lengths never change), and in the case-free copy capitals become
# small letters. Keys are folded alike and wrapped in spaces, so the automaton only ever
# reports whole words: "Text-to-Speech" and "text to speech" fold alike, "xcodec" never
# contains " codec ".
_KEEP = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_SPACED = bytes(c if c in _KEEP else 32 for c in range(256))
_FOLDED = bytes(c + 32 if 65 <= c <= 90 else c for c in _SPACED)


def _fold(text: str, *, keep_case: bool = False) -> str:
    table = _SPACED if keep_case else _FOLDED
    return " " + text.encode("ascii", "replace").translate(table).decode("ascii") + " "


def _key(form: str, *, keep_case: bool = False) -> str:
    """A form as the automaton holds it: folded, runs of spaces made one, wrapped in spaces."""
    return " " + " ".join(_fold(form, keep_case=keep_case).split()) + " "


def _plurals(key: str) -> list[str]:
    """Simple English plurals of a key whose last word ends in a letter."""
    word = key[:-1]
    if not word[-1:].isalpha():
        return []
    if word.endswith(("s", "x", "z", "ch", "sh", "S", "X", "Z", "CH", "SH")):
        return [word + "es "]
    if word.endswith(("y", "Y")) and word[-2:-1].lower() not in "aeiou ":
        return [word[:-1] + "ies ", word + "s "]
    return [word + "s "]


class TermMatcher:
    """Finds every rule's source and variants in a text, whole words only, any case.

    Built once into an Aho–Corasick automaton over all forms, so a text is read once whatever
    the number of terms. A hit needs no ASCII letter or digit just before or after it; case is
    ignored except for forms with a capital after their first letter (LLM, BEATs); hyphens and
    spaces are interchangeable; simple plurals match.
    """

    def __init__(self, rules: Iterable[TermRule]):
        self.rules = tuple(rules)
        self._automaton = ahocorasick.Automaton()
        # folded key -> [(rule, the form in its case, or None when any case matches)]
        forms: dict[str, list[tuple[TermRule, str | None]]] = {}
        for rule in self.rules:
            for form in (rule.source, *rule.variants):
                if not form.strip() or not _key(form).strip():
                    continue
                # A capital after the first letter makes the case part of the name: LLM, ASR, and
                # also BEATs, HuBERT, WavLM (a paper's "aligned to beats" is not the BEATs model).
                acronym = any(c.isupper() for c in form.strip()[1:])
                exact = _key(form, keep_case=True)
                keys = [(exact, exact)] + [(plural, plural) for plural in _plurals(exact)]
                for cased, expected in keys:
                    entries = forms.setdefault(cased.lower(), [])
                    if (rule, expected if acronym else None) not in entries:
                        entries.append((rule, expected if acronym else None))
        for key, entries in forms.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        self._empty = not forms
        if not self._empty:
            self._automaton.make_automaton()
        self._chinese = None

    def find(self, text: str) -> list[TermHit]:
        """Hits in text order; where two overlap the longer wins (the more specific term)."""
        if self._empty or not text:
            return []
        folded = _fold(text)
        cased: str | None = None
        candidates: list[tuple[int, int, TermRule]] = []
        # A key " w1 w2 " ending at `last` in the folded text (one space longer at each end)
        # covers text[last - length + 1 : last - 1].
        for last, (length, entries) in self._automaton.iter(folded):
            start, end = last - length + 1, last - 1
            for rule, expected in entries:
                if expected is not None:
                    cased = cased if cased is not None else _fold(text, keep_case=True)
                    if cased[start:end + 2] != expected:
                        continue
                candidates.append((start, end, rule))
                break
        candidates.sort(key=lambda hit: (hit[0], -(hit[1] - hit[0])))
        kept: list[TermHit] = []
        for start, end, rule in candidates:
            if kept and start < kept[-1].end:
                continue
            kept.append(TermHit(rule=rule, start=start, end=end, matched=text[start:end]))
        return kept

    def find_chinese(self, text: str) -> list[ChineseHit]:
        """Where a Chinese text writes a rule's preferred or forbidden rendering, in text order; where
        two overlap the longer wins (自动语音识别 over 语音识别). The automaton over the renderings is
        built on the first call."""
        if self._chinese is None:
            self._chinese = _chinese_automaton(self.rules)
        if self._chinese is _EMPTY or not text:
            return []
        candidates = []
        for last, (length, rule, forbidden) in self._chinese.iter(text):
            candidates.append((last - length + 1, last + 1, rule, forbidden))
        candidates.sort(key=lambda hit: (hit[0], -(hit[1] - hit[0])))
        kept: list[ChineseHit] = []
        for start, end, rule, forbidden in candidates:
            if kept and start < kept[-1].end:
                continue
            kept.append(ChineseHit(rule=rule, start=start, end=end, matched=text[start:end], forbidden=forbidden))
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
# Per choice of digests (their ids; () the newsroom's alone): the glossary's stamp and its matcher.
_cached: dict[tuple[int, ...], tuple[tuple, TermMatcher]] = {}
_CACHED_MOST = 8


def _glossary_stamp() -> tuple:
    """What changes whenever the glossary does: a row added, changed (updated_at) or deleted (count); and
    how many terms are digests' additions (none: every digest's glossary is the newsroom's)."""
    from django.db.models import Count, Max, Q

    from translations.models import GlossaryTerm

    stamp = GlossaryTerm.objects.aggregate(count=Count("id"), changed=Max("updated_at"), last=Max("id"),
                                           additions=Count("id", filter=Q(digest__isnull=False)))
    return (stamp["count"], stamp["changed"], stamp["last"], stamp["additions"])


def digest_additions_exist() -> bool:
    """Whether any digest has terms of its own (one small query)."""
    return bool(_glossary_stamp()[3])


def _digest_ids(digests: Sequence) -> tuple[int, ...]:
    """Digest rows or ids, as ids in the order given (each once)."""
    return tuple(dict.fromkeys(getattr(digest, "pk", digest) for digest in digests))


def glossary_terms(digests: Sequence = ()) -> list:
    """The newsroom's terms with the additions of `digests` (Digest rows or ids): a digest's term replaces
    the newsroom's for the same English (any case); between digests, the first in `digests` wins."""
    from translations.models import GlossaryTerm

    terms = {term.term.lower(): term for term in GlossaryTerm.objects.filter(digest__isnull=True)}
    rank = {pk: place for place, pk in enumerate(_digest_ids(digests))}
    additions: dict[str, GlossaryTerm] = {}
    for term in GlossaryTerm.objects.filter(digest__in=list(rank)):
        kept = additions.get(term.term.lower())
        if kept is None or rank[term.digest_id] < rank[kept.digest_id]:
            additions[term.term.lower()] = term
    return list({**terms, **additions}.values())


def glossary_matcher(digests: Sequence = (), *, stamp: tuple | None = None) -> TermMatcher:
    """A matcher over the glossary as it stands in the database: the newsroom's terms, with the additions
    of `digests` (in that order of precedence; see glossary_terms).

    Building the automaton for thousands of terms takes a moment, so it is built once per
    process (per choice of digests) and kept until the glossary's stamp changes (one small query per
    call). A stamp rather than signals: drafting runs in other processes than the admin that edits terms.
    """
    key = _digest_ids(digests)
    stamp = stamp or _glossary_stamp()
    with _cache_lock:
        cached = _cached.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    matcher = TermMatcher(rule_from_term(term) for term in glossary_terms(digests))
    with _cache_lock:
        if key not in _cached and len(_cached) >= _CACHED_MOST:
            _cached.pop(next(iter(_cached)))
        _cached[key] = (stamp, matcher)
    return matcher


def digests_holding(paper) -> list[int]:
    """The ids of the digests whose days hold `paper`, in the digests' order (position, then the oldest first)."""
    return [pk for _receiver, answer in paper_digests_asked.send(sender=None, paper=paper) for pk in answer or ()]


def paper_glossary(paper) -> TermMatcher:
    """The glossary a paper is drafted and its text checked with: a paper is drafted once, whichever
    digests hold it, so it takes the newsroom's terms plus the additions of every digest holding it;
    where two of those digests render one term differently, the first digest in the digests' order wins.
    While no digest has terms of its own, that is the newsroom's glossary, and nobody is asked."""
    stamp = _glossary_stamp()
    return glossary_matcher(digests_holding(paper) if stamp[3] else (), stamp=stamp)
