"""The translation memory: approved segments stored, reused exactly when drafting, offered when close.

Segments are a paper's title and its abstract's sentences (translations.segments splits and
aligns them). An approval stores its revision's segments (`memory_store_revision`); drafting
replaces the LLM's rendering of a segment whose English the memory holds exactly
(`memory_reuse_exact`); the review page offers close matches (`memory_close_matches`).

Only reusable units are reused or offered. A segment that an error-severity check finding
touches, approved over that error, is stored held (not reusable) until an editor confirms it
in the memory admin (`memory_unit_confirm`): approving despite an error says "publish this
entry", not "reuse this sentence in every later paper".
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from rapidfuzz import fuzz, process, utils

from papers.models import Paper
from translations.diffing import diff_words_html
from translations.models import MemoryUnit, Revision
from translations.segments import align, aligned_pairs, join_chinese, normalise, split_chinese, split_english

# A close match scores at least this (rapidfuzz's ratio: 100 × (1 − normalised Indel distance)).
CLOSE_MATCH_SCORE = 85.0
# Two strings of lengths a ≤ b score at most 200·a/(a+b); for 85 that needs a/b ≥ 0.739.
_LENGTH_SPAN = 0.739


def source_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()


def _unit(*, kind: str, source: str, target: str, **origin) -> MemoryUnit:
    source, target = normalise(source), target.strip()
    return MemoryUnit(
        kind=kind, source=source, source_hash=source_hash(source), source_length=len(source), target=target,
        target_hash=hashlib.sha256(target.encode()).hexdigest(), **origin,
    )


def revision_segments(*, paper: Paper, revision: Revision) -> list[tuple[str, str, str]]:
    """(kind, English, Chinese) segments of an approved revision: the title, and the abstract's
    sentences that align confidently with the English sentences (translations.segments.align)."""
    return [(kind, english, chinese) for kind, english, chinese, _where in _located_segments(paper, revision)]


def _located_segments(paper: Paper, revision: Revision) -> list[tuple[str, str, str, tuple[str, int, int]]]:
    """The segments with where their Chinese stands in the revision: (field, start, end)."""
    segments = []
    if paper.title.strip() and revision.title_zh.strip():
        segments.append((MemoryUnit.Kind.TITLE, paper.title, revision.title_zh,
                         ("title_zh", 0, len(revision.title_zh))))
    # The pairs come in text order and each Chinese sentence is a stripped piece of the abstract.
    cursor = 0
    for english, chinese in aligned_pairs(paper.abstract, revision.abstract_zh):
        start = revision.abstract_zh.find(chinese, cursor)
        if start < 0:  # not found as written: count it as the whole abstract, so no finding misses it
            where = ("abstract_zh", 0, len(revision.abstract_zh))
        else:
            cursor = start + len(chinese)
            where = ("abstract_zh", start, cursor)
        segments.append((MemoryUnit.Kind.ABSTRACT_SENTENCE, english, chinese, where))
    return segments


def _touches(finding: Mapping, where: tuple[str, int, int]) -> bool:
    """Whether a stored finding bears on a segment: a finding of no field (a check that could not run)
    bears on all; one of the segment's field without a span on its whole field; else the spans overlap."""
    field_name, start, end = where
    if not finding.get("field"):
        return True
    if finding["field"] != field_name:
        return False
    if finding.get("start") is None:
        return True
    return finding["start"] < end and (finding.get("end") or finding["start"] + 1) > start


@transaction.atomic
def memory_store_revision(*, paper: Paper, revision: Revision, overridden: Iterable[Mapping] = ()) -> int:
    """Store an approved revision's segments; a pair already stored is left as it is. Returns how many were new.

    `overridden` are the error-severity findings (as stored) the approval was confirmed over: a segment
    one of them touches is stored held, naming the checks, until an editor confirms it.
    """
    overridden = list(overridden)
    units = []
    for kind, english, chinese, where in _located_segments(paper, revision):
        held_for = list(dict.fromkeys(f["check"] for f in overridden if _touches(f, where)))
        units.append(_unit(kind=kind, source=english, target=chinese, origin=MemoryUnit.Origin.APPROVED,
                           revision=revision, paper=paper, paper_version=paper.version,
                           reusable=not held_for, held_for=held_for))
    return _store(units)


class MemoryUnitNotHeld(Exception):
    """The unit is reusable already (confirmed meanwhile, or never held)."""


@transaction.atomic
def memory_unit_confirm(*, unit: MemoryUnit, user) -> MemoryUnit:
    """An editor read a held unit and confirms it may be reused: from now on drafting reuses it and
    the review page offers it. The unit keeps the checks it was held for, and who confirmed it when."""
    if user is None or not user.has_perm("translations.confirm_memoryunit"):
        raise PermissionDenied("only editors confirm translation memory units")
    unit = MemoryUnit.objects.select_for_update().get(pk=unit.pk)
    if unit.reusable:
        raise MemoryUnitNotHeld(f"memory unit {unit.pk} is reusable already")
    unit.reusable, unit.confirmed_by, unit.confirmed_at = True, user, timezone.now()
    unit.save(update_fields=["reusable", "confirmed_by", "confirmed_at"])
    return unit


def _store(units: list[MemoryUnit]) -> int:
    before = MemoryUnit.objects.count()
    # The unique (kind, source_hash, target_hash) constraint drops pairs already stored.
    MemoryUnit.objects.bulk_create(units, ignore_conflicts=True)
    return MemoryUnit.objects.count() - before


IMPORT_BATCH = 1000


def memory_import_units(*, pairs: list[tuple[str, str, str, str]], progress=None) -> int:
    """Store imported (kind, English, Chinese, note) pairs; returns how many were new.

    One transaction for the whole import (a failure stores nothing), written in batches;
    `progress(done, total)` is called after each.
    """
    units = [
        _unit(kind=kind, source=english, target=chinese, origin=MemoryUnit.Origin.IMPORTED, note=note[:500])
        for kind, english, chinese, note in pairs
        if english.strip() and chinese.strip()
    ]
    new = 0
    with transaction.atomic():
        for start in range(0, len(units), IMPORT_BATCH):
            new += _store(units[start:start + IMPORT_BATCH])
            if progress is not None:
                progress(min(start + IMPORT_BATCH, len(units)), len(units))
    return new


def exact_units(kind: str, sources: list[str]) -> dict[str, MemoryUnit]:
    """For each source the memory holds exactly (normalised), its newest reusable unit; keyed by source hash."""
    hashes = {source_hash(source) for source in sources if source.strip()}
    found: dict[str, MemoryUnit] = {}
    for unit in MemoryUnit.objects.reusable().filter(kind=kind, source_hash__in=hashes).order_by("-created_at", "-id"):
        found.setdefault(unit.source_hash, unit)
    return found


@dataclass
class MemoryReuse:
    """A draft's title and abstract after exact memory matches replaced the LLM's rendering."""

    title_zh: str
    abstract_zh: str
    # [{"field": "title_zh" | "abstract_zh", "sentence": n (1-based, abstract only), "unit": id}]
    segments: list[dict] = field(default_factory=list)

    @property
    def marker(self) -> dict | None:
        """The draft warning that tells the editor which segments came from memory, or None."""
        if not self.segments:
            return None
        parts = []
        if any(segment["field"] == "title_zh" for segment in self.segments):
            parts.append("标题")
        sentences = [str(segment["sentence"]) for segment in self.segments if segment["field"] == "abstract_zh"]
        if sentences:
            parts.append(f"摘要第 {'、'.join(sentences)} 句")
        return {
            "kind": "memory_exact",
            "message": f"译文记忆：{'与'.join(parts)}与已审定的原文完全相同，沿用了已审定的译文",
            "segments": self.segments,
        }


def memory_reuse_exact(*, title_en: str, abstract_en: str, title_zh: str, abstract_zh: str) -> MemoryReuse:
    """Replace the LLM's rendering of every segment whose English the memory holds exactly.

    Steps:
    1. the title: an exact match replaces the whole Chinese title;
    2. the abstract: split both texts into sentences and align them (translations.segments.align);
       each confident 1:1 pair whose English sentence the memory holds takes the memory's
       Chinese. When every English sentence is held, the abstract is the memory's sentences
       joined, whatever the LLM's sentences were. Other sentences stay as the LLM wrote them.
    """
    reuse = MemoryReuse(title_zh=title_zh, abstract_zh=abstract_zh)
    title_unit = exact_units(MemoryUnit.Kind.TITLE, [title_en]).get(source_hash(title_en))
    if title_unit is not None and title_en.strip():
        reuse.title_zh = title_unit.target
        reuse.segments.append({"field": "title_zh", "unit": title_unit.pk})
    english = split_english(abstract_en)
    held = exact_units(MemoryUnit.Kind.ABSTRACT_SENTENCE, english)
    if not held:
        return reuse
    units = [held.get(source_hash(sentence)) for sentence in english]
    if all(units):
        reuse.abstract_zh = join_chinese([unit.target for unit in units])
        reuse.segments += [{"field": "abstract_zh", "sentence": index + 1, "unit": unit.pk}
                           for index, unit in enumerate(units)]
        return reuse
    chinese = split_chinese(abstract_zh)
    replaced = False
    for bead in align(english, chinese):
        unit = units[bead.en[0]] if bead.confident else None
        if unit is not None:
            chinese[bead.zh[0]] = unit.target
            reuse.segments.append({"field": "abstract_zh", "sentence": bead.en[0] + 1, "unit": unit.pk})
            replaced = True
    if replaced:
        reuse.abstract_zh = join_chinese(chinese)
    return reuse


@dataclass(frozen=True)
class MemoryMatch:
    unit: MemoryUnit
    score: float

    @property
    def exact(self) -> bool:
        return self.score >= 100.0


class _SourceIndex:
    """Every distinct English source of one kind of unit, held in this process for close-match lookups.

    Each source is kept as rapidfuzz compares it (lower-cased, punctuation dropped), with its
    length and a word index (word → sources using it), built on the first lookup and then
    brought up to date by reading only the rows added since (`refresh`).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.unit_ids: list[int] = []  # per slot: the newest unit of that source
        self.texts: list[str] = []  # per slot: the processed source
        self.lengths: list[int] = []
        self.slot_of: dict[str, int] = {}
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.newest: tuple = (0, None)  # the newest unit read: (id, created_at)
        self.confirmed = None  # the last confirmation of a held unit when the index was read

    def refresh(self) -> None:
        """Read the reusable units added since the last refresh (one cheap query when there are none).

        The newest reusable unit's id and time, and the last confirmation's time, tell whether
        anything changed. A confirmation makes an older unit reusable: the index is rebuilt. Else
        the last unit read is looked at: still there as read, the rows after it are the new ones;
        gone or another (ids reused after a rollback: SQLite gives a rolled-back id again, to other
        text), the index is rebuilt. Deleted units are caught when a lookup would return them.
        Held units are never read: the review page never offers them.
        """
        with self.lock:
            units = MemoryUnit.objects.reusable().filter(kind=self.kind)
            newest = units.order_by("-id").values_list("id", "created_at").first() or (0, None)
            confirmed = MemoryUnit.objects.filter(kind=self.kind).aggregate(last=Max("confirmed_at"))["last"]
            if (newest, confirmed) == (self.newest, self.confirmed):
                return
            last_read_id, last_read_at = self.newest
            if confirmed != self.confirmed or (
                    last_read_id and not units.filter(pk=last_read_id, created_at=last_read_at).exists()):
                self._reset()
            last_read = self.newest[0]
            rows = units.filter(id__gt=last_read).order_by("id").values_list("id", "source")
            for unit_id, text in rows.iterator(chunk_size=5000):
                self._add(unit_id, text)
            self.newest, self.confirmed = newest, confirmed

    def _add(self, unit_id: int, text: str) -> None:
        processed = utils.default_process(text)
        slot = self.slot_of.get(processed)
        if slot is not None:  # the same English again: the newer unit is the source's translation
            self.unit_ids[slot] = unit_id
            return
        slot = len(self.texts)
        self.slot_of[processed] = slot
        self.unit_ids.append(unit_id)
        self.texts.append(processed)
        self.lengths.append(len(processed))
        for word in set(processed.split()):
            self.postings[word].append(slot)

    def candidates(self, query: str) -> dict[int, str]:
        """Slots that could score ≥ 85 against the processed `query`.

        Steps:
        1. only sources of a possible length: two strings of lengths a ≤ b score at most
           200·a/(a+b), so 85 needs a/b ≥ 0.739 (exact: no match is lost here);
        2. of the query's words, those used by at most 5 % of the sources ("rare"; common
           words like "we" or "model" say nothing): a candidate must share at least half of
           them. A close match differs in a few words, so it shares most of them; a
           sentence edited in more than half its rare words is not offered. A query
           without rare words falls back to every source of a possible length.
        """
        length = len(query)
        low, high = length * _LENGTH_SPAN, length / _LENGTH_SPAN
        common = max(50, len(self.texts) // 20)
        rare = [word for word in set(query.split()) if 0 < len(self.postings.get(word, ())) <= common]
        if rare:
            shared = Counter(slot for word in rare for slot in self.postings[word])
            needed = math.ceil(len(rare) / 2)
            slots = [slot for slot, hits in shared.items() if hits >= needed]
        else:
            slots = range(len(self.texts))
        return {slot: self.texts[slot] for slot in slots if low <= self.lengths[slot] <= high}


_indexes = {kind: _SourceIndex(kind) for kind in MemoryUnit.Kind.values}


def memory_close_matches(kind: str, source: str, *, limit: int = 3, cutoff: float = CLOSE_MATCH_SCORE,
                         refresh: bool = True) -> list[MemoryMatch]:
    """The memory's units whose English is at least `cutoff` similar to `source`, best first.

    rapidfuzz's ratio over the texts lower-cased and without punctuation; the candidates
    come from this process's index of the memory's sources (`_SourceIndex.candidates`).
    One unit per distinct English source: its newest translation.
    """
    query = utils.default_process(normalise(source))
    if not query:
        return []
    index = _indexes[kind]
    for attempt in range(2):
        if attempt or refresh:
            index.refresh()
        found = process.extract(query, index.candidates(query), scorer=fuzz.ratio, processor=None,
                                score_cutoff=cutoff, limit=limit)
        wanted = {slot: index.unit_ids[slot] for _text, _score, slot in found}
        units = MemoryUnit.objects.in_bulk(list(wanted.values()))
        # A unit deleted (or rolled back) since the index read it: read the memory again.
        if all(unit_id in units and utils.default_process(units[unit_id].source) == index.texts[slot]
               for slot, unit_id in wanted.items()):
            return [MemoryMatch(units[wanted[slot]], score) for _text, score, slot in found]
        with index.lock:
            index._reset()
    return []


@dataclass(frozen=True)
class SegmentSuggestions:
    """What the memory offers for one segment of a paper: its English, and close matches with the difference."""

    field: str  # "title_zh" or "abstract_zh"
    sentence: int | None  # 1-based, for abstract sentences
    source: str
    matches: list[tuple[MemoryMatch, SafeString]]  # each with the English diff (memory's source → this segment)


# What the review page looks up, whatever the abstract: arXiv caps abstracts at 1,920 characters, so
# twice that never cuts a real one; a sentence that long is no sentence; a real abstract has ~25.
MEMORY_ABSTRACT_CHARS = 4_000
MEMORY_SEGMENT_CHARS = 1_000
MEMORY_SEGMENTS_MAX = 60


@dataclass(frozen=True)
class MemoryLookup:
    """The segments the review page looks up for a paper, and what the caps left out (for the page)."""

    segments: list[tuple[str, int | None, str, str]]  # (field, sentence, kind, English), distinct English
    note: str  # "" when the whole title and abstract were looked up


def memory_lookup_segments(paper: Paper) -> MemoryLookup:
    """The title and the abstract's sentences to look up, each distinct English once, within the caps:
    the abstract's first MEMORY_ABSTRACT_CHARS characters, sentences of at most MEMORY_SEGMENT_CHARS,
    at most MEMORY_SEGMENTS_MAX segments."""
    cut = len(paper.abstract) > MEMORY_ABSTRACT_CHARS
    sentences = split_english(paper.abstract[:MEMORY_ABSTRACT_CHARS])
    if cut:
        sentences = sentences[:-1]  # cut off in the middle
    candidates = [("title_zh", None, MemoryUnit.Kind.TITLE, normalise(paper.title))] + [
        ("abstract_zh", index, MemoryUnit.Kind.ABSTRACT_SENTENCE, sentence)
        for index, sentence in enumerate(sentences, start=1)
    ]
    segments, seen, too_long = [], set(), 0
    for segment in candidates:
        kind, english = segment[2], segment[3]
        if len(english) > MEMORY_SEGMENT_CHARS:
            too_long += 1
        elif (kind, english) not in seen:
            seen.add((kind, english))
            segments.append(segment)
    left_out = len(segments) - MEMORY_SEGMENTS_MAX
    notes = []
    if cut:
        notes.append(gettext("only the abstract's first %(chars)s characters were looked up") % {
            "chars": f"{MEMORY_ABSTRACT_CHARS:,}"})
    if too_long:
        notes.append(ngettext("%(count)s sentence longer than %(chars)s characters was not looked up",
                              "%(count)s sentences longer than %(chars)s characters were not looked up", too_long)
                     % {"count": too_long, "chars": f"{MEMORY_SEGMENT_CHARS:,}"})
    if left_out > 0:
        notes.append(gettext("only the first %(max)s sentences were looked up") % {"max": MEMORY_SEGMENTS_MAX})
    return MemoryLookup(segments[:MEMORY_SEGMENTS_MAX], "; ".join(notes))


def memory_suggestions(paper: Paper, *, limit: int = 2) -> list[SegmentSuggestions]:
    """Close matches (≥ 85 %) for the paper's title and each abstract sentence, for the review page
    (within the caps of `memory_lookup_segments`; a sentence repeated is looked up once)."""
    suggestions = []
    for kind in MemoryUnit.Kind.values:
        _indexes[kind].refresh()
    for field_name, sentence, kind, source in memory_lookup_segments(paper).segments:
        matches = memory_close_matches(kind, source, limit=limit, refresh=False)
        if matches:
            suggestions.append(SegmentSuggestions(
                field_name, sentence, source,
                [(match, diff_words_html(match.unit.source, source)) for match in matches],
            ))
    return suggestions
