"""Glossary files: CSV and TBX (ISO 30042, the term-exchange format) read into rows and written from terms.

Plain functions over bytes and rows, no database. Reading a file either gives every row with
its line number, or raises GlossaryFileError for the whole file (not CSV, unknown columns, not
TBX): a file that cannot be read changes nothing.

TBX holds the glossary's fields in the standard's own terms, so other tools (Weblate, memoQ,
Trados) read them: the English langSet's first term is the source, its other terms the variants;
the Chinese langSet's first allowed term is the rendering, its terms with administrativeStatus
`deprecatedTerm-admn-sts` the forbidden renderings; a keep-English term has its English as its
Chinese term; the category is `<descrip type="subjectField">` and the note a `<note>`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

# The CSV's columns, in the order export writes them. Only `source` is required on import;
# a column left out keeps what the glossary has.
CSV_COLUMNS = ("source", "kind", "rendering", "variants", "forbidden", "category", "note")
# Variants and forbidden renderings are several values in one cell.
LIST_SEPARATOR = "|"
KINDS = {"preferred": "preferred", "keep_english": "keep_english", "keep english": "keep_english",
         "keep-english": "keep_english"}
MAX_FILE_BYTES = 10_000_000

_DEPRECATED = "deprecatedTerm-admn-sts"
_PREFERRED = "preferredTerm-admn-sts"
_ADMITTED = "admittedTerm-admn-sts"


class GlossaryFileError(Exception):
    """The whole file cannot be read; the message says why, in one line."""


@dataclass
class GlossaryRow:
    """One term as a file gives it: only the fields the file has."""

    line: int
    source: str
    fields: dict = field(default_factory=dict)  # kind, rendering, variants, forbidden, category, note


def file_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith((".tbx", ".xml")):
        return "tbx"
    raise GlossaryFileError(f"{name}: a glossary file is .csv or .tbx")


def read_glossary_file(name: str, content: bytes) -> list[GlossaryRow]:
    if len(content) > MAX_FILE_BYTES:
        raise GlossaryFileError(f"{name}: larger than {MAX_FILE_BYTES:,} bytes; not a glossary")
    return read_csv(content) if file_format(name) == "csv" else read_tbx(content)


def _split(cell: str) -> list[str]:
    return [value.strip() for value in cell.split(LIST_SEPARATOR) if value.strip()]


def _kind(cell: str) -> str:
    cleaned = " ".join(cell.split()).lower()
    return KINDS.get(cleaned, cleaned)  # an unknown kind is refused with its row by validation


def read_csv(content: bytes) -> list[GlossaryRow]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GlossaryFileError(f"not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:  # no text has one (PostgreSQL refuses it); a UTF-16 file has one in each character
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise GlossaryFileError(f"line {line}: a NUL character; a glossary CSV is UTF-8 text (save it as "
                                "“CSV UTF-8”, not UTF-16)")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "source" not in header:
        raise GlossaryFileError(f"the first line must name the columns, with at least 'source' "
                                f"(columns: {', '.join(CSV_COLUMNS)})")
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise GlossaryFileError(f"unknown columns: {', '.join(unknown)} (columns: {', '.join(CSV_COLUMNS)})")
    if len(set(header)) != len(header):
        raise GlossaryFileError("a column is named twice")
    reader.fieldnames = header
    rows: list[GlossaryRow] = []
    try:
        for values in reader:
            if None in values:
                raise GlossaryFileError(f"line {reader.line_num}: more cells than columns")
            if not any((value or "").strip() for value in values.values()):
                continue  # a blank line
            fields: dict = {}
            for name in header:
                cell = _cell_read(values.get(name) or "")
                if name == "source":
                    continue
                if name in ("variants", "forbidden"):
                    fields[name] = _split(cell)
                elif name == "kind":
                    fields[name] = _kind(cell) or "preferred"
                else:
                    fields[name] = cell.strip()
            rows.append(GlossaryRow(line=reader.line_num, source=_cell_read(values.get("source") or "").strip(),
                                    fields=fields))
    except csv.Error as exc:
        raise GlossaryFileError(f"line {reader.line_num}: {exc}") from None
    return rows


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); the export
# puts a ' before such a cell, which spreadsheets show as text, and the import takes it off again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell_written(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _cell_read(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


def write_csv(terms: Iterable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for term in terms:
        writer.writerow([_cell_written(cell) for cell in (
            term.term, term.kind, term.rendering, LIST_SEPARATOR.join(term.variants or ()),
            LIST_SEPARATOR.join(term.forbidden or ()), term.category, term.note,
        )])
    return out.getvalue()


def _tbx_module():
    from translate.storage import tbx

    return tbx


def read_tbx(content: bytes) -> list[GlossaryRow]:
    tbx = _tbx_module()
    try:
        store = tbx.tbxfile.parsestring(content)
    except Exception as exc:  # lxml and the toolkit raise several kinds for a file that is not TBX
        raise GlossaryFileError(f"not a TBX file: {exc}") from None
    rows: list[GlossaryRow] = []
    for unit in store.units:
        element = unit.xmlelement
        line = element.sourceline or 0
        languages = {}
        for node in unit.getlanguageNodes():
            lang = (node.get("{http://www.w3.org/XML/1998/namespace}lang") or node.get("lang") or "").lower()
            languages.setdefault(lang.split("-")[0], lang)
        english = unit.get_target_terms(languages["en"]) if "en" in languages else unit.get_source_terms()
        chinese = unit.get_target_terms(languages["zh"]) if "zh" in languages else []
        allowed_en = [term.text.strip() for term in english if not term.deprecated and term.text.strip()]
        source = allowed_en[0] if allowed_en else ""
        renderings = [term.text.strip() for term in chinese if not term.deprecated and term.text.strip()]
        forbidden = [term.text.strip() for term in chinese if term.deprecated and term.text.strip()]
        category = note = ""
        for child in element.iter():
            if not isinstance(child.tag, str):
                continue
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "descrip" and child.get("type") == "subjectField" and not category:
                category = (child.text or "").strip()
            elif tag == "note" and not note:
                note = (child.text or "").strip()
        if not chinese:
            rows.append(GlossaryRow(line=line, source=source, fields={"kind": "missing-chinese"}))
            continue
        keep_english = bool(renderings) and renderings[0] == source
        rows.append(GlossaryRow(line=line, source=source, fields={
            "kind": "keep_english" if keep_english else "preferred",
            "rendering": "" if keep_english else (renderings[0] if renderings else ""),
            "variants": allowed_en[1:],
            "forbidden": forbidden,
            "category": category,
            "note": note,
        }))
    return rows


def write_tbx(terms: Iterable) -> bytes:
    from lxml import etree

    tbx = _tbx_module()
    store = tbx.tbxfile(sourcelanguage="en", targetlanguage="zh-Hans")
    for term in terms:
        unit = store.addsourceunit(term.term)
        unit.set_source_terms([term.term, *(term.variants or ())])
        chinese = term.term if term.kind == "keep_english" else term.rendering
        unit.set_target_terms([chinese, *(term.forbidden or ())])
        for language in unit.getlanguageNodes():
            for index, tig in enumerate(language.findall(unit.namespaced("tig"))):
                status = etree.SubElement(tig, unit.namespaced("termNote"), type="administrativeStatus")
                if language is unit.source_dom:
                    status.text = _PREFERRED if index == 0 else _ADMITTED
                else:
                    status.text = _PREFERRED if index == 0 else _DEPRECATED
        if term.category:
            descrip = etree.Element(unit.namespaced("descrip"), type="subjectField")
            descrip.text = term.category
            element = unit.xmlelement
            element.insert(0, descrip)
        if term.note:
            unit.addnote(term.note, origin="translator")
    return bytes(store)
