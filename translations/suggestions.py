"""Suggested terms: learning the glossary from editors' corrections.

The anchor is the English the model keeps in brackets after a term it translates, as the prompt
asks ("法学硕士（LLM）"). Editors who correct the Chinese usually keep the bracket
("大语言模型（LLM）"), so the same English in brackets, in the same section of the machine draft
and of the approved text, pairs the machine's rendering with the editors'. When the same pair
(English term, machine rendering → editors' rendering) is found in SUGGEST_MIN_ENTRIES approved
entries, and the glossary has no such term, it becomes a SuggestedTerm for a chief editor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from os.path import commonprefix

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from papers.models import Paper
from translations.models import ChineseText, GlossaryTerm, MachineDraft, Revision, SuggestedTerm, TermCorrection

# Editors made the same correction in this many approved entries: a pattern, not a one-off.
SUGGEST_MIN_ENTRIES = 3
# A rendering longer than this is a rewritten phrase, not a term.
MAX_RENDERING_CHARS = 12

# A run of Chinese characters, then the English in brackets (full-width or ASCII).
_ANCHOR_RE = re.compile(
    r"([\u3400-\u4dbf\u4e00-\u9fff]+)[ \t]*[（(][ \t]*([A-Za-z][A-Za-z0-9 .'/+\-]{0,60}?)[ \t]*[)）]"
)
# Grammatical characters that end the context before a term: "提出的法学硕士" → "法学硕士".
_PARTICLES = "的了在和与及或对将把被是"
# Words that open the context before a term, never a term's own beginning.
_CONTEXT_WORDS = ("我们", "本文", "使用", "采用", "利用", "基于", "通过", "研究", "提出", "引入", "结合",
                  "并用", "借助", "一种", "一个", "新的", "所提")


# The Chinese kept before a bracket: enough for a term and a little context, which the
# suggestion trims away (the common ending of several examples).
RUN_CHARS = 20


@dataclass(frozen=True)
class Correction:
    source: str  # the English, as the machine draft wrote it
    machine_change: str  # the characters that differ, the shared beginning dropped
    editor_change: str
    machine_rendering: str  # the Chinese before the bracket: the term, perhaps with context before it
    rendering: str
    section: str


def source_key(english: str) -> str:
    """The English folded, so "LLMs", "LLM" and "llm" are one term."""
    key = " ".join(english.replace("-", " ").split()).lower()
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


def _anchors(text: str) -> dict[str, list[tuple[str, str]]]:
    """{folded English: [(English, Chinese run before it)]} in text order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for match in _ANCHOR_RE.finditer(text):
        found.setdefault(source_key(match.group(2)), []).append((match.group(2).strip(), match.group(1)))
    return found


def _after_particle(run: str) -> str:
    cut = max(run.rfind(particle) for particle in _PARTICLES)
    return run[cut + 1:] if 0 <= cut < len(run) - 1 else run


def _renderings(machine_run: str, editor_run: str) -> tuple[str, str] | None:
    """The two renderings of one term from the Chinese runs before its bracket, or None if equal.

    Steps: equal runs, or one ending with the other (only the context before the term
    changed), are no correction; otherwise drop the shared beginning (unchanged context); a
    longer difference than a term is a rewrite, not a correction; drop anything up to a
    grammatical particle.
    """
    if machine_run == editor_run or machine_run.endswith(editor_run) or editor_run.endswith(machine_run):
        return None
    shared = 0
    while shared < min(len(machine_run), len(editor_run)) and machine_run[shared] == editor_run[shared]:
        shared += 1
    machine, editor = machine_run[shared:], editor_run[shared:]
    if len(machine) > MAX_RENDERING_CHARS or len(editor) > MAX_RENDERING_CHARS:
        return None  # a rewritten phrase
    machine, editor = _after_particle(machine), _after_particle(editor)
    if not machine or not editor or machine == editor:
        return None
    return machine, editor


def term_corrections(machine: dict[str, str], approved: dict[str, str]) -> list[Correction]:
    """Where the approved text renders a bracketed English term differently from the machine draft.

    Both are {section: text}. The n-th bracket of a term in a section of the draft is paired
    with the n-th bracket of the same term in the same section of the approved text. One
    correction per change: where the same change occurs several times, the one with the least
    context before the term is kept.
    """
    seen: dict[tuple[str, str, str], Correction] = {}
    for section, machine_text in machine.items():
        editor_anchors = _anchors(approved.get(section, ""))
        for key, occurrences in _anchors(machine_text).items():
            for (english, machine_run), (_english, editor_run) in zip(occurrences, editor_anchors.get(key, []), strict=False):
                pair = _renderings(machine_run, editor_run)
                if pair is None:
                    continue
                runs = (_after_particle(machine_run)[-RUN_CHARS:], _after_particle(editor_run)[-RUN_CHARS:])
                previous = seen.get((key, *pair))
                if previous is not None and len(previous.machine_rendering) <= len(runs[0]):
                    continue  # the same change seen with less context already
                seen[(key, *pair)] = Correction(source=english, machine_change=pair[0], editor_change=pair[1],
                                                machine_rendering=runs[0], rendering=runs[1], section=section)
    return list(seen.values())


def _machine_draft_of(revision: Revision) -> MachineDraft | None:
    """The machine text the editors started from: the draft the newest revision up to this one copied
    from, else the paper's newest successful draft."""
    copied = (
        Revision.objects.filter(paper_id=revision.paper_id, number__lte=revision.number, from_draft__isnull=False)
        .order_by("-number").select_related("from_draft").first()
    )
    if copied is not None:
        return copied.from_draft
    return MachineDraft.objects.filter(paper_id=revision.paper_id).succeeded().newest()


@transaction.atomic
def corrections_record(*, paper: Paper, revision: Revision) -> list[TermCorrection]:
    """Find the editors' term corrections in an approved revision, replace the paper's rows, and
    refresh the suggestions they touch. Run when an entry is approved; running it again changes nothing."""
    old_keys = set(TermCorrection.objects.filter(paper=paper).values_list("source_key", flat=True))
    TermCorrection.objects.filter(paper=paper).delete()
    draft = _machine_draft_of(revision)
    rows: list[TermCorrection] = []
    if draft is not None:
        found = term_corrections(
            {name: getattr(draft, name) for name in ChineseText.TEXT_FIELDS},
            {name: getattr(revision, name) for name in ChineseText.TEXT_FIELDS},
        )
        unique: dict[tuple[str, str, str], Correction] = {}
        for c in found:  # "LLM" and "LLMs" are one term: keep the least context
            key = (source_key(c.source), c.machine_change, c.editor_change)
            if key not in unique or len(c.machine_rendering) < len(unique[key].machine_rendering):
                unique[key] = c
        rows = TermCorrection.objects.bulk_create(
            TermCorrection(paper=paper, revision=revision, source=c.source, source_key=key,
                           machine_change=machine, editor_change=editor, machine_rendering=c.machine_rendering,
                           rendering=c.rendering, section=c.section)
            for (key, machine, editor), c in unique.items()
        )
    suggestions_refresh(source_keys=old_keys | {row.source_key for row in rows})
    return rows


def suggestions_refresh(*, source_keys: Iterable[str] | None = None) -> None:
    """Bring the suggestions of these English terms (all, if None) in line with the corrections.

    The same change found in SUGGEST_MIN_ENTRIES papers or more is proposed (unless the glossary
    has the term), with the renderings all its examples end with before the bracket: one
    example's context ("本文研究") is not shared by the others, the term is. A pending
    suggestion whose support fell below that is withdrawn; decided ones keep their decision
    and only their count changes.
    """
    corrections = TermCorrection.objects.all()
    suggestions = SuggestedTerm.objects.all()
    if source_keys is not None:
        source_keys = set(source_keys)
        corrections = corrections.filter(source_key__in=source_keys)
        suggestions = suggestions.filter(source_key__in=source_keys)
    groups: dict[tuple[str, str, str], list[TermCorrection]] = {}
    for correction in corrections.order_by("id"):
        key = (correction.source_key, correction.machine_change, correction.editor_change)
        groups.setdefault(key, []).append(correction)
    in_glossary = {
        source_key(form)
        for term, variants in GlossaryTerm.objects.values_list("term", "variants")
        for form in (term, *(variants or ()))
    }
    existing = {(s.source_key, s.machine_change, s.editor_change): s for s in suggestions}
    for key, suggestion in existing.items():
        examples = groups.get(key, [])
        entries = len({c.paper_id for c in examples})
        if suggestion.status == SuggestedTerm.Status.PENDING and (entries < SUGGEST_MIN_ENTRIES
                                                                   or key[0] in in_glossary):
            suggestion.delete()
            continue
        fields = {"entries": entries}
        if suggestion.status == SuggestedTerm.Status.PENDING:
            fields.update(_whole_renderings(examples))
        changed = [name for name, value in fields.items() if getattr(suggestion, name) != value]
        for name in changed:
            setattr(suggestion, name, fields[name])
        if changed:
            suggestion.save(update_fields=changed)
    for key, examples in groups.items():
        entries = len({c.paper_id for c in examples})
        if key in existing or entries < SUGGEST_MIN_ENTRIES or key[0] in in_glossary:
            continue
        SuggestedTerm.objects.create(source=examples[0].source, source_key=key[0], machine_change=key[1],
                                     editor_change=key[2], entries=entries, **_whole_renderings(examples))


def _common_ending(texts: list[str]) -> str:
    reversed_common = commonprefix([text[::-1] for text in texts])
    return reversed_common[::-1]


def _whole_renderings(examples: list[TermCorrection]) -> dict[str, str]:
    """The renderings as the examples write them: the ending all of them share before the bracket
    (the term without the context of any one sentence), never shorter than the change itself.
    Where every example has the same context, the usual words that open one ("我们使用") are
    dropped from the front of both sides alike."""
    machine = _common_ending([c.machine_rendering for c in examples]) or examples[0].machine_change
    editor = _common_ending([c.rendering for c in examples]) or examples[0].editor_change
    stripped = True
    while stripped:
        stripped = False
        for word in _CONTEXT_WORDS:
            if (machine.startswith(word) and editor.startswith(word)
                    and len(machine) - len(word) >= len(examples[0].machine_change)
                    and len(editor) - len(word) >= max(len(examples[0].editor_change), 1)):
                machine, editor, stripped = machine[len(word):], editor[len(word):], True
                break
    return {"machine_rendering": machine, "rendering": editor}


def corrections_rebuild(*, approved: Iterable[tuple[Paper, Revision]]) -> int:
    """Find the corrections of every approved text again (after a change of this algorithm); how many."""
    with transaction.atomic():
        TermCorrection.objects.all().delete()
        found = 0
        for paper, revision in approved:
            found += len(corrections_record(paper=paper, revision=revision))
        suggestions_refresh()
    return found


class SuggestionError(Exception):
    pass


def _decide(suggestion: SuggestedTerm, user, status: SuggestedTerm.Status) -> SuggestedTerm:
    if not user.has_perm("translations.decide_suggestedterm"):
        raise PermissionDenied("only a chief editor accepts or dismisses suggested terms")
    suggestion = SuggestedTerm.objects.select_for_update().get(pk=suggestion.pk)
    if not SuggestedTerm.TRANSITIONS.allows(suggestion.status, status):
        raise SuggestionError(_("“%(suggestion)s” is already %(status)s") % {
            "suggestion": suggestion, "status": suggestion.get_status_display()})
    SuggestedTerm.TRANSITIONS.move(suggestion, status, decided_by=user, decided_at=timezone.now())
    return suggestion


@transaction.atomic
def suggestion_accept(*, suggestion: SuggestedTerm, user) -> GlossaryTerm:
    """Add the editors' rendering to the glossary, the machine's as forbidden; the suggestion is accepted."""
    suggestion = _decide(suggestion, user, SuggestedTerm.Status.ACCEPTED)
    if GlossaryTerm.objects.filter(term__iexact=suggestion.source, digest__isnull=True).exists():
        raise SuggestionError(_("the glossary already has “%(source)s”") % {"source": suggestion.source})
    papers = list(suggestion.corrections().values_list("paper__arxiv_id", flat=True)[:10])
    term = GlossaryTerm(
        term=suggestion.source, kind=GlossaryTerm.Kind.PREFERRED, rendering=suggestion.rendering,
        forbidden=[suggestion.machine_rendering],
        note=f"由编辑在 {suggestion.entries} 篇已审定条目中的修改建议而来（{', '.join(papers)}）",
    )
    term.full_clean()
    term.save()
    suggestion.glossary_term = term
    suggestion.save(update_fields=["glossary_term"])
    # Other pending changes of the same term (found with other context) can no longer be accepted: withdrawn.
    suggestions_refresh(source_keys=[suggestion.source_key])
    return term


@transaction.atomic
def suggestion_dismiss(*, suggestion: SuggestedTerm, user) -> SuggestedTerm:
    return _decide(suggestion, user, SuggestedTerm.Status.DISMISSED)
