"""Segments for the translation memory: sentence splitting (English and Chinese) and sentence
alignment. Plain functions over text, no database."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

# Words after which a full stop does not end a sentence (compared lower-cased, without the stop).
# Not "ms": in abstracts it is milliseconds ("12 ms. We …") far more often than a title.
_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "et al", "al", "etc", "vs", "cf", "fig", "figs", "eq", "eqs", "sec", "secs", "tab", "ref", "refs",
    "no", "nos", "approx", "resp", "dr", "mr", "mrs", "prof", "st", "vol", "pp", "ch", "app", "appx", "thm",
    "lem", "def", "alg", "ca", "incl", "viz", "e.q", "w.r.t", "a.k.a", "u.s", "u.k", "jr", "sr", "inc", "ltd",
})
# TeX math, inline or display: nothing inside it splits a sentence.
_MATH_RE = re.compile(r"\$\$.+?\$\$|\$(?:\\\$|[^$])+?\$", re.DOTALL)
# A possible English sentence end: stops, then closing quotes or brackets, then space.
_EN_END_RE = re.compile(r"[.!?]+[\"'”’)\]]*\s+")
# What may open the next English sentence.
_EN_START_RE = re.compile(r"[A-Z0-9\"'“‘(\[$\\]")
# A Chinese sentence ends at 。！？ (or their half-width forms), with any closing quotes or brackets.
_ZH_END_RE = re.compile(r"[。！？!?]+[”’」』）)\]]*")
_WORD_BEFORE_RE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def normalise(text: str) -> str:
    """The form two segments are compared in: Unicode NFKC, white space collapsed, ends stripped."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _masked(text: str) -> str:
    """`text` with TeX math replaced by as many neutral characters (offsets kept)."""
    return _MATH_RE.sub(lambda match: "x" * len(match.group()), text)


def split_english(text: str) -> list[str]:
    """English sentences of `text`, white space normalised.

    A stop ends a sentence only when space and a likely sentence start follow, the word
    before it is no abbreviation ("e.g.", "et al.", "Fig.") nor a single letter (an
    initial), and it is not inside TeX math ($…$). Decimals ("3.5") never split: no
    space follows their point.
    """
    text = normalise(text)
    if not text:
        return []
    masked = _masked(text)
    sentences, start = [], 0
    for match in _EN_END_RE.finditer(masked):
        following = masked[match.end():match.end() + 1]
        if not following or not _EN_START_RE.match(following):
            continue
        stops = match.group().rstrip()
        if stops.startswith("."):
            word = _WORD_BEFORE_RE.search(masked[start:match.start()])
            if word:
                before = word.group(1).lower().rstrip(".")
                if before in _ABBREVIATIONS or len(before) == 1:
                    continue
                # "et al." is two words; the regex above saw only "al".
                if masked[max(start, match.start() - 6):match.start()].lower().endswith("et al"):
                    continue
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    if start < len(text):
        sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def split_chinese(text: str) -> list[str]:
    """Chinese sentences of `text`: each ends at 。！？ (with its closing quotes or brackets);
    TeX math ($…$) is never split. White space at the ends is dropped."""
    text = text.strip()
    if not text:
        return []
    masked = _masked(text)
    sentences, start = [], 0
    for match in _ZH_END_RE.finditer(masked):
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    if start < len(text):
        sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def join_chinese(sentences: list[str]) -> str:
    # Chinese sentences follow each other without a space.
    return "".join(sentences)


@dataclass(frozen=True)
class Bead:
    """One step of an alignment: English sentences `en` matched with Chinese sentences `zh` (indices)."""

    en: tuple[int, ...]
    zh: tuple[int, ...]
    confident: bool


# Gale & Church (1993): how often each shape of bead occurs between translated texts.
_PRIORS = {(1, 1): 0.89, (1, 0): 0.005, (0, 1): 0.005, (2, 1): 0.0445, (1, 2): 0.0445, (2, 2): 0.011}
# Variance of the Chinese length per English character, relative to the mean ratio (theirs: 6.8 for
# two European languages at ratio 1; Chinese lengths vary more, so a little higher).
_VARIANCE = 8.0
# A 1:1 pair is stored only if its Chinese length lies this many standard deviations from the expected.
_CONFIDENT_DEVIATION = 2.0


def _deviation(en_length: int, zh_length: int, ratio: float) -> float:
    expected = en_length * ratio
    spread = math.sqrt(max(en_length, 1) * _VARIANCE * ratio)
    return (zh_length - expected) / spread


def align(english: list[str], chinese: list[str]) -> list[Bead]:
    """Align English and Chinese sentences of one text, in order.

    Equal counts: sentence i with sentence i, every pair confident (translations of an
    abstract keep its sentences far more often than not). Otherwise a simplified
    Gale–Church alignment by lengths:
    1. the expected Chinese length of an English sentence is its length times the whole
       text's ratio of Chinese to English characters;
    2. dynamic programming over beads 1:1, 1:0, 0:1, 2:1, 1:2, 2:2, each costing
       -log(prior of its shape) + deviation²/2 (a normal model of the length difference);
    3. the cheapest path is returned; only 1:1 beads whose Chinese length lies within
       two standard deviations are marked confident. Merged or dropped sentences are
       never confident: the memory stores only pairs one can trust to reuse whole.
    """
    if not english or not chinese:
        return []
    if len(english) == len(chinese):
        return [Bead((index,), (index,), True) for index in range(len(english))]
    en_lengths = [len(sentence) for sentence in english]
    zh_lengths = [len(sentence) for sentence in chinese]
    ratio = max(sum(zh_lengths), 1) / max(sum(en_lengths), 1)
    rows, cols = len(english), len(chinese)
    cost = [[math.inf] * (cols + 1) for _ in range(rows + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (cols + 1) for _ in range(rows + 1)]
    cost[0][0] = 0.0
    for i in range(rows + 1):
        for j in range(cols + 1):
            if cost[i][j] == math.inf:
                continue
            for (take_en, take_zh), prior in _PRIORS.items():
                ni, nj = i + take_en, j + take_zh
                if ni > rows or nj > cols:
                    continue
                deviation = _deviation(sum(en_lengths[i:ni]), sum(zh_lengths[j:nj]), ratio)
                step = -math.log(prior) + deviation * deviation / 2
                if cost[i][j] + step < cost[ni][nj]:
                    cost[ni][nj] = cost[i][j] + step
                    back[ni][nj] = (take_en, take_zh)
    beads: list[Bead] = []
    i, j = rows, cols
    while i or j:
        take_en, take_zh = back[i][j]
        en = tuple(range(i - take_en, i))
        zh = tuple(range(j - take_zh, j))
        confident = (take_en, take_zh) == (1, 1) and abs(
            _deviation(en_lengths[en[0]], zh_lengths[zh[0]], ratio)
        ) <= _CONFIDENT_DEVIATION
        beads.append(Bead(en, zh, confident))
        i, j = i - take_en, j - take_zh
    beads.reverse()
    return beads


def aligned_pairs(english_text: str, chinese_text: str) -> list[tuple[str, str]]:
    """The confident (English sentence, Chinese sentence) pairs of a text and its translation."""
    english, chinese = split_english(english_text), split_chinese(chinese_text)
    return [(english[bead.en[0]], chinese[bead.zh[0]]) for bead in align(english, chinese) if bead.confident]
