"""Versioned prompt templates: `prompts/<version>/system.txt` and `user.txt`.

The version is stored on every draft, so a change of wording is a new folder,
never an edit of an old one. Paper text goes into the user message between
<paper_data> markers, as data; any marker inside the paper text is defused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from django.conf import settings

PROMPTS_DIR = Path(__file__).resolve().parent
_MARKER_RE = re.compile(r"<\s*/?\s*paper_data\s*>", re.IGNORECASE)


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
    # [(English term, Chinese rendering)] that occur in the paper
    glossary: tuple[tuple[str, str], ...] = ()


@cache
def _template(version: str, name: str) -> str:
    path = PROMPTS_DIR / version / name
    if not path.is_file():
        raise PromptError(f"prompt version {version!r} has no {name} (looked in {path})")
    return path.read_text(encoding="utf-8")


def current_prompt_version() -> str:
    return settings.DIGEST_PROMPT_VERSION


def defuse(text: str) -> str:
    """Paper text can never close or open the data fence."""
    return _MARKER_RE.sub(lambda match: match.group(0).replace("<", "‹").replace(">", "›"), text)


SOURCE_LABELS = {
    "html": "论文全文（arXiv HTML 版本，已去掉参考文献）",
    "pdf": "论文全文（PDF 提取，已去掉参考文献）",
    "abstract": "仅摘要（未能获取全文）",
}


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
