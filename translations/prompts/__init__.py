"""Versioned prompt templates: `prompts/<version>/system.txt` and `user.txt`.

The version is stored on every draft, so a change of wording is a new folder,
never an edit of an old one. Paper text goes into the user message between
<paper_data> markers, as data; any marker inside the paper text is defused.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from django.conf import settings

from translations.terminology import TermRule

PROMPTS_DIR = Path(__file__).resolve().parent
# A prompt lists at most this many of the paper's terms: a survey may use hundreds, and a long
# list buries the rules that matter. The most specific (longest) terms are kept.
PROMPT_TERMS_MAX = 40
_MARKER_RE = re.compile(r"<\s*/?\s*paper_data\s*>", re.IGNORECASE)
# Text that may hide a marker: the letters of paper_data with anything but letters and digits between them
# (a zero-width space, a combining mark), read in compatibility form (fullwidth, mathematical letters).
_MAYBE_MARKER_RE = re.compile(r"p\W*a\W*p\W*e\W*r[\W_]*d\W*a\W*t\W*a", re.IGNORECASE)
# Brackets and slashes that read as < / > to a person or a model but are other characters even in
# compatibility form (fullwidth ＜ and small ﹤ become < by NFKD already). ‹ › are the defused form's own.
_LOOKALIKES = str.maketrans({
    "\u3008": "<", "\u27e8": "<", "\u02c2": "<", "\u1438": "<",  # 〈 (and U+2329, whose NFKD it is) ⟨ ˂ ᐸ
    "\u3009": ">", "\u27e9": ">", "\u02c3": ">", "\u1433": ">",  # 〉 ⟩ ˃ ᐳ
    "\u2044": "/", "\u2215": "/", "\u29f8": "/",  # ⁄ ∕ ⧸
})
# Invisible in the text (format characters: zero-width space and joiners, BOM, bidi controls, soft
# hyphen, tags) or drawn on the letter before (combining marks).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me"})


class PromptError(Exception):
    pass


@dataclass(frozen=True)
class PaperMaterial:
    title: str
    authors: str
    categories: str
    abstract: str
    source_kind: str  # html, pdf or abstract
    source_text: str
    # The glossary's rules for the terms this paper uses, most specific first, at most PROMPT_TERMS_MAX.
    rules: tuple[TermRule, ...] = ()

    @property
    def glossary(self) -> tuple[tuple[str, str], ...]:
        """[(English term, Chinese rendering)] of the preferred terms: what draft-v1 lists."""
        return tuple((rule.source, rule.rendering) for rule in self.rules if rule.kind == TermRule.PREFERRED)


@cache
def _template(version: str, name: str) -> str:
    path = PROMPTS_DIR / version / name
    if not path.is_file():
        raise PromptError(f"prompt version {version!r} has no {name} (looked in {path})")
    return path.read_text(encoding="utf-8")


def current_prompt_version() -> str:
    return settings.DIGEST_PROMPT_VERSION


def prompt_versions() -> list[str]:
    """The prompt versions this code has (folders with both templates), oldest name first."""
    return sorted(path.parent.name for path in PROMPTS_DIR.glob("*/user.txt") if (path.parent / "system.txt").is_file())


def prompt_version_known(version: str) -> bool:
    """Whether this code can write a draft with `version` (a draft queued by a newer version may need one it lacks)."""
    return version in prompt_versions()


def defuse(text: str) -> str:
    """Paper text can never close or open the data fence, however the marker is written.

    Steps: a marker written plainly is defused (`<` `>` become `‹` `›`). Text that may hide one (the
    letters of paper_data, with anything between) is then read as a person or a model would: each
    character in compatibility form (NFKD: fullwidth ＜ is <, 𝐩 is p), format characters and combining
    marks dropped, look-alike brackets read as brackets. Each marker found there is written, in place of
    the characters it was made of, as the defused marker. The rest of the text is left as it was:
    normalising all of it would turn x² into x2.
    """
    text = _MARKER_RE.sub(lambda match: match.group(0).replace("<", "‹").replace(">", "›"), text)
    if text.isascii() or not _MAYBE_MARKER_RE.search(unicodedata.normalize("NFKD", text)):
        return text
    view, source = [], []  # the text as read, and for each of its characters the index it came from
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char).translate(_LOOKALIKES):
            if unicodedata.category(part) not in _INVISIBLE_CATEGORIES:
                view.append(part)
                source.append(index)
    pieces, done = [], 0
    for match in _MARKER_RE.finditer("".join(view)):
        start, end = source[match.start()], source[match.end() - 1] + 1
        pieces += [text[done:start], "‹/paper_data›" if "/" in match.group(0) else "‹paper_data›"]
        done = end
    return "".join(pieces) + text[done:]


SOURCE_LABELS = {
    "html": "论文全文（arXiv HTML 版本，已去掉参考文献）",
    "pdf": "论文全文（PDF 提取，已去掉参考文献）",
    "abstract": "仅摘要（未能获取全文）",
}


def _one_line(text: str) -> str:
    """A glossary value as one defused line: a term can add no line of its own to the prompt."""
    return defuse(" ".join(text.split()))


def terms_block(rules: tuple[TermRule, ...]) -> str:
    """draft-v2's glossary: preferred renderings (with their forbidden ones), keep-English names,
    and forbidden renderings of keep-English terms."""
    preferred = [rule for rule in rules if rule.kind == TermRule.PREFERRED]
    keep = [rule for rule in rules if rule.kind == TermRule.KEEP_ENGLISH]
    if not preferred and not keep:
        return ""
    lines = ["", "术语表（本文用到的术语，必须遵守）："]
    def forbidden(rule: TermRule) -> str:
        return f"（禁用译法：{'、'.join(_one_line(f) for f in rule.forbidden)}）" if rule.forbidden else ""

    if preferred:
        lines.append("固定译法：")
        lines += [f"- {_one_line(rule.source)} → {_one_line(rule.rendering)}{forbidden(rule)}" for rule in preferred]
    if keep:
        lines.append("保留英文（不得翻译）：")
        lines += [f"- {_one_line(rule.source)}{forbidden(rule)}" for rule in keep]
    return "\n".join(lines) + "\n"


def build_messages(material: PaperMaterial, *, version: str, schema: dict | None = None) -> list[dict]:
    """The chat messages for one draft. `schema` is given when the server lacks json_schema output."""
    glossary_block = ""
    if material.glossary:
        lines = "\n".join(f"- {defuse(term)} → {defuse(rendering)}" for term, rendering in material.glossary)
        glossary_block = f"\n术语表（这些术语必须使用给定译法）：\n{lines}\n"
    full_text = material.source_kind in ("html", "pdf")
    format_reminder = ""
    if schema is not None:
        format_reminder = "\nJSON 必须符合以下 JSON Schema：\n" + json.dumps(schema, ensure_ascii=False)
    user = Template(_template(version, "user.txt")).substitute(
        source_label=SOURCE_LABELS[material.source_kind],
        glossary_block=glossary_block,
        terms_block=terms_block(material.rules),
        title=defuse(material.title),
        authors=defuse(material.authors),
        categories=defuse(material.categories),
        abstract=defuse(material.abstract),
        source_heading="正文 (full text):" if full_text else "",
        source_text=defuse(material.source_text) if full_text else "",
        format_reminder=format_reminder,
    )
    return [
        {"role": "system", "content": _template(version, "system.txt")},
        {"role": "user", "content": user},
    ]
