"""The translation memory as TMX 1.4 (the translation-memory exchange format), through translate-toolkit.

Each unit is a `<tu>` with an English and a Chinese `<tuv>`; `<prop type="x-segment-kind">` says
whether it is a title or an abstract sentence (absent in other tools' files: an abstract sentence),
`<prop type="x-arxiv-id">` the paper it was approved on, and the note where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import defusedxml.ElementTree

from translations.models import MemoryUnit

# translate-toolkit (and lxml with it) is imported by the two functions that read or write TMX, not
# here: the admin imports this module, and every process would pay for a format only imports and
# exports use.

KIND_PROP = "x-segment-kind"
PAPER_PROP = "x-arxiv-id"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class TMXError(Exception):
    """A file that is not a usable TMX file; nothing was imported."""


def memory_to_tmx(units: Iterable[MemoryUnit]) -> bytes:
    from lxml import etree
    from translate.storage import tmx

    store = tmx.tmxfile(sourcelanguage="en", targetlanguage="zh-Hans")
    for unit in units:
        store.addtranslation(unit.source, "en", unit.target, "zh-Hans", comment=unit.note or None)
        tu = store.units[-1].xmlelement
        props = [(KIND_PROP, unit.kind)]
        if unit.paper_id is not None:
            props.append((PAPER_PROP, f"{unit.paper.arxiv_id}v{unit.paper_version}"))
        # TMX wants <note> and <prop> before the <tuv>s.
        for position, (name, value) in enumerate(props):
            prop = etree.Element("prop", type=name)
            prop.text = value
            tu.insert(position, prop)
    return bytes(store)


@dataclass(frozen=True)
class TMXContent:
    pairs: list[tuple[str, str, str, str]]  # (kind, English, Chinese, note)
    skipped: int  # units without an English or a Chinese segment, or of an unknown kind


def _language(tuv) -> str:
    return (tuv.get(_XML_LANG) or tuv.get("lang") or "").lower()


def tmx_read(content: bytes, *, name: str = "") -> TMXContent:
    """The (kind, English, Chinese, note) pairs of a TMX file; raises TMXError for anything unusable.

    The XML is checked by defusedxml first (no entity expansion, no external references):
    the file comes from outside.
    """
    try:
        defusedxml.ElementTree.fromstring(content)
    except Exception as exc:  # ParseError, or defusedxml's refusals (entities, external references)
        raise TMXError(f"not a usable XML file: {exc}") from None
    from translate.storage import tmx

    try:
        store = tmx.tmxfile.parsestring(content)
    except Exception as exc:
        raise TMXError(f"not a TMX file: {exc}") from None
    pairs, skipped = [], 0
    kinds = set(MemoryUnit.Kind.values)
    for unit in store.units:
        tu = unit.xmlelement
        segments = {}
        for tuv in unit.getlanguageNodes():
            seg = tuv.find(unit.namespaced("seg"))
            text = "".join(seg.itertext()).strip() if seg is not None else ""
            language = _language(tuv)
            if language.startswith("en"):
                segments.setdefault("en", text)
            elif language.startswith("zh"):
                segments.setdefault("zh", text)
        kind = next((prop.text or "" for prop in tu.iterchildren("prop") if prop.get("type") == KIND_PROP),
                    MemoryUnit.Kind.ABSTRACT_SENTENCE)
        if not segments.get("en") or not segments.get("zh") or kind not in kinds:
            skipped += 1
            continue
        note = " ".join(unit.getnotes().split()) or name
        pairs.append((kind, segments["en"], segments["zh"], note))
    if not pairs and not skipped:
        raise TMXError("the file holds no translation units")
    return TMXContent(pairs, skipped)
