"""The glossary checks: preferred rendering, forbidden rendering, keep-English terms, and a glossary
term the Chinese writes although the paper's English never uses it.

The first three read only the `TermRule`s given (those the paper uses, from `translations.terminology`);
the last also reads the whole glossary (`CheckInput.glossary`), to know what the Chinese names.
A term counts as used by the summary when it occurs in the English title or abstract: a term
met only deep in the full text may rightly be absent from a short Chinese reading.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from translations.checks.base import ERROR, WARNING, CheckInput, Finding, register
from translations.terminology import TermHit, TermMatcher, TermRule


def _english_forms(rule: TermRule) -> tuple[str, ...]:
    return (rule.source, *rule.variants)


def is_acronym(form: str) -> bool:
    """A form whose case is part of it (MOS, SI-SDR, LLM, BEATs): as the matcher, a capital after the first letter."""
    return any(c.isupper() for c in form.strip()[1:])


@lru_cache(maxsize=8192)
def _english_in_chinese(form: str) -> re.Pattern:
    # Compiled once per process: the glossary's terms recur paper after paper, and re's own
    # cache (512 patterns) is too small for a glossary of thousands.
    # In Chinese text a Latin word touches Chinese characters (which count as \w), so the word
    # boundary is drawn against Latin letters and digits only.
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", re.IGNORECASE)


def _english_uses(source: CheckInput, matcher: TermMatcher) -> dict[str, list[tuple[str, TermHit]]]:
    """For each rule, where the Chinese writes its English: [(field, hit)] in field and text order.

    Read with the paper's matcher, so the longer term wins as in the English: "Spectrogram" inside
    "Audio Spectrogram Transformer" is that name's, not the term *spectrogram* left in English.
    """
    uses: dict[str, list[tuple[str, TermHit]]] = {}
    for name, text in source.text.items():
        for hit in matcher.find(text or ""):
            uses.setdefault(hit.rule.source, []).append((name, hit))
    return uses


def _first_english_use(source: CheckInput, rule: TermRule) -> tuple[str, int, int] | None:
    """Where the Chinese text writes one of the rule's English forms: (field, start, end), first found."""
    for name, text in source.text.items():
        for form in _english_forms(rule):
            match = _english_in_chinese(form).search(text or "")
            if match:
                return name, match.start(), match.end()
    return None


def _summary_hits(source: CheckInput, matcher: TermMatcher) -> dict[str, tuple[str, list[str]]]:
    """For each rule used in the English title or abstract: the Chinese field that renders it, and the
    English forms used."""
    where: dict[str, tuple[str, list[str]]] = {}
    for field_name, text in (("abstract_zh", source.abstract), ("title_zh", source.title)):
        for hit in matcher.find(text):
            previous = where.get(hit.rule.source)
            forms = (previous[1] if previous else []) + [hit.matched]
            where[hit.rule.source] = (field_name if field_name == "title_zh" or previous is None else previous[0], forms)
    return where


def _words(form: str) -> list[str]:
    return re.sub(r"[^a-z0-9]+", " ", form.lower()).split()


def _part_rendering(rule: TermRule, form: str) -> tuple[str, str] | None:
    """For an English form that is only part of the source (the variant *self-supervised* of *self-supervised
    learning*): which end of the rendering it stands for, and at least how much of it — ("start", 自监督)
    as the smallest accepted piece. None for a whole form (the source, an acronym, another spelling)."""
    words, source_words = _words(form), _words(rule.source)
    if not words or len(words) >= len(source_words) or not rule.rendering:
        return None
    least = max(2, math.ceil(len(rule.rendering) / 2))
    if source_words[:len(words)] == words:
        return "start", rule.rendering[:least]
    if source_words[-len(words):] == words:
        return "end", rule.rendering[-least:]
    return None


def _rendered(rule: TermRule, forms: list[str], chinese: str) -> bool:
    """Whether the Chinese renders the rule as the source used it: its rendering; for a form that is part
    of the source, the part of the rendering it stands for (at least half, from the same end)."""
    if rule.rendering in chinese:
        return True
    for form in forms:
        part = _part_rendering(rule, form)
        if part is not None and part[1] in chinese:
            return True
    return False


def _folded(text: str) -> str:
    """Lower case, words only, the last word's plural s dropped: "Large-Language Models" → "large language model"."""
    words = _words(text)
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


_WORDS_BEFORE_RE = re.compile(r"([A-Za-z][A-Za-z0-9 \-]*?)\s*$")


def _defined_otherwise(rule: TermRule, english: str) -> bool:
    """Whether the English defines the rule's acronym as something else: "Attack Success Rate (ASR)" is
    not *automatic speech recognition*. True when the acronym stands in brackets after words, and
    never after one of the rule's spelled-out forms."""
    acronyms = [form for form in _english_forms(rule) if is_acronym(form)]
    spelled = [_folded(form) for form in _english_forms(rule) if not is_acronym(form) and _words(form)]
    if not acronyms or not spelled:
        return False
    definitions = []
    for acronym in acronyms:
        # The bracket first (a literal scan), then the words just before it: a pattern that started
        # with the words would try every letter of a 40,000-character full text.
        for match in re.finditer(rf"[(（]\s*{re.escape(acronym)}s?\s*[)）]", english):
            words = _WORDS_BEFORE_RE.search(english, max(0, match.start() - 120), match.start())
            if words:
                definitions.append(_folded(words.group(1)))
    return bool(definitions) and not any(
        definition == form or definition.endswith(" " + form) for definition in definitions for form in spelled)


@register(
    id="glossary_preferred",
    name=_("Glossary term not rendered as preferred"),
    severity=WARNING,
    description=_("The paper's title or abstract uses a glossary term, and the Chinese text lacks its preferred "
                  "rendering (or writes the English term in its place). An acronym kept in English (MOS, SI-SDR) "
                  "is not a term left untranslated."),
)
def glossary_preferred(source: CheckInput) -> Iterator[Finding]:
    chinese = _whole_chinese(source)
    matcher = TermMatcher(source.rules)
    used = _summary_hits(source, matcher)
    english_uses = _english_uses(source, matcher)
    for rule in source.rules:
        if rule.kind != TermRule.PREFERRED or not rule.rendering:
            continue
        where, forms = used.get(rule.source, ("", []))
        if _rendered(rule, forms, chinese):
            continue
        # An English form in brackets after Chinese (生成式对抗网络（GAN）) anchors the Chinese before it as
        # the term's rendering: here not the preferred one, whatever the acronym does elsewhere.
        uses, anchors = [], []
        for name, hit in english_uses.get(rule.source, []):
            (anchors if _anchor(source.text[name] or "", hit) else uses).append((name, hit))
        if (anchors or uses or where) and _defined_otherwise(rule, source.source_text):
            continue
        if anchors:
            field, hit = anchors[0]
            yield Finding("glossary_preferred", field, hit.start, hit.end,
                          f"术语 “{rule.source}” 应译为 “{rule.rendering}”，译稿中未出现该译法")
            continue
        # MOS, SI-SDR: the acronym is how Chinese papers write these too; writing it is no omission.
        if any(is_acronym(hit.matched) for _field, hit in uses):
            continue
        if uses:
            field, hit = uses[0]
            yield Finding("glossary_preferred", field, hit.start, hit.end,
                          f"术语 “{rule.source}” 应译为 “{rule.rendering}”，译稿中仍写作英文")
        elif where:
            yield Finding("glossary_preferred", where, None, None,
                          f"术语 “{rule.source}” 应译为 “{rule.rendering}”，译稿中未出现该译法")


_CHINESE_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _anchor(text: str, hit: TermHit) -> bool:
    """Whether the hit stands alone in brackets right after Chinese: 生成对抗网络（GAN）."""
    before, after = text[:hit.start].rstrip(), text[hit.end:].lstrip()
    return (before[-1:] in ("（", "(") and after[:1] in ("）", ")")
            and _CHINESE_RE.match(before[:-1].rstrip()[-1:] or "x") is not None)


def _whole_chinese(source: CheckInput) -> str:
    return "\n".join(text or "" for text in source.text.values())


# Words after a lower-case name that make it the architecture or model, not the ordinary word:
# "transformer-based", "whisper model" (but "in a whisper", "whisper speech").
_NAME_USE_RE = re.compile(r"[\s-]+(?:based|models?|encoders?|decoders?|layers?|blocks?|architectures?|backbones?|"
                          r"networks?|features|embeddings?|representations?|baselines?|variants?)\b", re.IGNORECASE)


def _ordinary_word_only(rule: TermRule, english: str) -> bool:
    """Whether the English uses a capitalised keep-English name only as the ordinary word: in lower case
    and not as a model ("in a whisper" is 耳语, not the model Whisper; "transformer-based" is the
    architecture). Then neither the name nor its forbidden renderings are required of the Chinese."""
    if rule.kind != TermRule.KEEP_ENGLISH or not rule.source[:1].isupper():
        return False
    uses = [match for form in _english_forms(rule) if form.strip()
            for match in _english_in_chinese(form).finditer(english)]
    return bool(uses) and all(match.group(0)[:1].islower() and not _NAME_USE_RE.match(english, match.end())
                              for match in uses)


@register(
    id="glossary_forbidden",
    name=_("Forbidden rendering used"),
    severity=ERROR,
    description=_("The Chinese text uses a rendering the glossary forbids for a term the paper uses "
                  "(for example 法学硕士 for LLM). A capitalised name the English uses only as the ordinary word "
                  "(in a whisper: 耳语 is right for the word) is left alone."),
)
def glossary_forbidden(source: CheckInput) -> Iterator[Finding]:
    for rule in source.rules:
        ordinary: bool | None = None  # read only when a forbidden rendering is there: a long scan
        for forbidden in rule.forbidden:
            if not forbidden:
                continue
            for name, text in source.text.items():
                for match in re.finditer(re.escape(forbidden), text or ""):
                    ordinary = _ordinary_word_only(rule, source.source_text) if ordinary is None else ordinary
                    if ordinary:
                        break
                    preferred = f"，应为 “{rule.rendering}”" if rule.rendering else "，应保留英文"
                    yield Finding("glossary_forbidden", name, match.start(), match.end(),
                                  f"“{forbidden}” 是术语 “{rule.source}” 的禁用译法{preferred}")


@register(
    id="glossary_keep_english",
    name=_("Keep-English term translated"),
    severity=ERROR,
    description=_("The paper's title or abstract names something the glossary keeps in English (a codec, model "
                  "or dataset name), and the Chinese text does not write it in English. A capitalised name the English "
                  "uses only as the ordinary word (in a whisper, a switchboard) is not demanded."),
)
def glossary_keep_english(source: CheckInput) -> Iterator[Finding]:
    used = _summary_hits(source, TermMatcher(source.rules))
    for rule in source.rules:
        if rule.kind != TermRule.KEEP_ENGLISH or rule.source not in used:
            continue
        where, _forms = used[rule.source]
        if _first_english_use(source, rule) is None and not _ordinary_word_only(rule, source.source_text):
            yield Finding("glossary_keep_english", where, None, None, f"“{rule.source}” 应保留英文原文，译稿中未出现")


@lru_cache(maxsize=8192)
def _stem_pattern(form: str) -> re.Pattern:
    """The form's words cut to their first two thirds (at least four letters), each free to go on:
    "transcription" meets "transcribe", "reverberation" "reverberant". A Chinese rendering serves
    the noun, the verb and the adjective alike."""
    stems = [re.escape(word[:max(4, len(word) * 2 // 3)]) + r"[a-z]*" for word in _words(form)]
    return re.compile(r"(?<![a-z0-9])" + r"[\s-]+".join(stems) + r"(?![a-z0-9])", re.IGNORECASE)


def _sourced(rule: TermRule, source: CheckInput, paper_terms: set[str], *, stems: bool) -> bool:
    """Whether the paper's English uses the rule: among its rules, or one of its forms written in the
    title, abstract or full text (a shorter term a longer one took in the matcher: *Transformer* of
    *Audio Spectrogram Transformer*); with `stems`, another word form of it."""
    if rule.source in paper_terms:
        return True
    english = source.source_text
    forms = [form for form in _english_forms(rule) if _words(form)]
    if any(_english_in_chinese(form).search(english) for form in forms):
        return True
    return stems and any(_stem_pattern(form).search(english) for form in forms if not is_acronym(form))


# The Chinese fields that translate the English (title and abstract): a rendering there names a term
# the English should use. The reading sections explain, in the editor's words, and may rightly name
# a field's terms the abstract does not: there only forbidden renderings and English forms count.
_TRANSLATING_FIELDS = ("title_zh", "abstract_zh")


def _named_terms(source: CheckInput) -> Iterator[tuple[str, int, int, str, TermRule, bool]]:
    """(field, start, end, what was written, rule, a preferred rendering?) for each place the Chinese
    names a glossary term: its English form, a forbidden rendering, or (in the title and abstract) its
    preferred rendering."""
    for name, text in source.text.items():
        text = text or ""
        named = [(name, hit.start, hit.end, hit.matched, hit.rule, False) for hit in source.glossary.find(text)]
        named += [(name, hit.start, hit.end, hit.matched, hit.rule, not hit.forbidden)
                  for hit in source.glossary.find_chinese(text) if hit.forbidden or name in _TRANSLATING_FIELDS]
        yield from sorted(named, key=lambda place: place[1])


@register(
    id="glossary_unsourced",
    name=_("Glossary term not in the English"),
    severity=WARNING,
    description=_("The Chinese names a glossary term (its English, a forbidden rendering, or in the title and "
                  "abstract its rendering) that the paper's title, abstract and full text never use: a "
                  "mistranslation, or something the model added (法学硕士（LLM） in a paper without LLMs)."),
)
def glossary_unsourced(source: CheckInput) -> Iterator[Finding]:
    if source.glossary is None:
        return
    paper_terms = {rule.source for rule in source.rules}
    # A rendering inside or around the rendering of a term the paper uses is that term's (语音识别 in 自动语音识别).
    paper_renderings = [rule.rendering for rule in source.rules if rule.rendering]
    reported: set[str] = set()
    for name, start, end, written, rule, rendering in _named_terms(source):
        if rule.source in reported or _sourced(rule, source, paper_terms, stems=rendering):
            continue
        if any(written in rendering or rendering in written for rendering in paper_renderings):
            continue
        reported.add(rule.source)
        yield Finding("glossary_unsourced", name, start, end,
                      f"“{written}” 对应术语 “{rule.source}”，但论文原文中没有该术语：请核对是否误译或添加")
