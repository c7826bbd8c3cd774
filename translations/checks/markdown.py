"""The shape of the three reading sections, as the reference post has them.

In the post (`publishing.posts.markdown_export.reading_markdown`, and the real post of
2026-01-09 in `tests/data/reference_post_structure.json`) each section sits under its number
and is a bulleted list: `- **研究背景**：…`, with sub-points indented by two spaces.
A heading or a loose paragraph inside a section breaks that shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from translations.checks.base import ERROR, WARNING, CheckInput, Finding, register

READING_SECTIONS = ("background_md", "method_md", "results_md")
_ITEM_RE = re.compile(r"^( *)(?:[-*+]|\d+[.)]) +\S")
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?: |$)")


@register(
    id="reading_section_empty",
    name=_("Reading section empty"),
    severity=ERROR,
    description=_("One of the three reading sections (background, method, tasks and results) is empty: "
                  "the post would show its number with nothing under it."),
)
def reading_section_empty(source: CheckInput) -> Iterator[Finding]:
    for name in READING_SECTIONS:
        if not source.field_text(name).strip():
            yield Finding("reading_section_empty", name, None, None, "解读部分为空")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    position = 0
    for line in text.split("\n"):
        yield position, line
        position += len(line) + 1


@register(
    id="markdown_shape",
    name=_("Markdown shape"),
    severity=WARNING,
    description=_("A reading section is not a bulleted list as in the reference post: it has a heading, a "
                  "paragraph outside the list, or a sub-point indented deeper than the point above it."),
)
def markdown_shape(source: CheckInput) -> Iterator[Finding]:
    for name in READING_SECTIONS:
        last_indent: int | None = None
        for start, line in _lines(source.field_text(name)):
            if not line.strip():
                continue
            end = start + len(line)
            item = _ITEM_RE.match(line)
            if _HEADING_RE.match(line):
                yield Finding("markdown_shape", name, start, end, "解读中不应出现标题行")
            elif item:
                indent = len(item.group(1))
                if indent > (last_indent + 4 if last_indent is not None else 0):
                    yield Finding("markdown_shape", name, start, end, "子要点缩进过深，或缺少上一级要点")
                last_indent = indent
            elif last_indent is None or not line.startswith("  "):
                yield Finding("markdown_shape", name, start, end, "这一行不在列表中：解读应为要点列表")
