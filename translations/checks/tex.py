"""The TeX check: math the Chinese text broke ($ … $ pairs, braces, \\( \\)) or TeX commands it dropped."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from translations.checks.base import ERROR, CheckInput, Finding, register

# An unescaped dollar sign.
_DOLLAR_RE = re.compile(r"(?<!\\)\$")
# Math in the English source: $…$, $$…$$ or \( … \), bounded (the source is outside text too).
_MATH_RE = re.compile(r"\$\$(.{1,2000}?)\$\$|(?<!\\)\$(.{1,500}?)(?<!\\)\$|\\\((.{1,500}?)\\\)", re.DOTALL)
_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
# The English field each Chinese field translates: TeX commands are compared for these pairs.
_TRANSLATES = {"title_zh": "title", "abstract_zh": "abstract"}


def _math_commands(text: str) -> set[str]:
    return {command for match in _MATH_RE.finditer(text) for command in _COMMAND_RE.findall(match.group(0))}


def _unbalanced_braces(text: str) -> list[int]:
    """Positions of braces without a partner (escaped \\{ \\} are text, not grouping)."""
    open_at: list[int] = []
    lonely: list[int] = []
    for match in re.finditer(r"(?<!\\)[{}]", text):
        if match.group(0) == "{":
            open_at.append(match.start())
        elif open_at:
            open_at.pop()
        else:
            lonely.append(match.start())
    return sorted(lonely + open_at)


@register(
    id="tex_mismatch",
    name=_("TeX unbalanced or altered"),
    severity=ERROR,
    description=_("An odd number of $ signs, a brace or \\( \\) without its partner, or a TeX command of the English "
                  "title's or abstract's math missing from its Chinese translation."),
)
def tex_mismatch(source: CheckInput) -> Iterator[Finding]:
    english = {"title": source.title, "abstract": source.abstract}
    for name, text in source.text.items():
        text = text or ""
        dollars = list(_DOLLAR_RE.finditer(text))
        if len(dollars) % 2:
            last = dollars[-1].start()
            yield Finding("tex_mismatch", name, last, last + 1, "“$” 个数为奇数，公式未闭合")
        for position in _unbalanced_braces(text):
            yield Finding("tex_mismatch", name, position, position + 1, "花括号不成对")
        opens, closes = text.count("\\("), text.count("\\)")
        if opens != closes:
            at = text.find("\\(") if opens > closes else text.find("\\)")
            yield Finding("tex_mismatch", name, at, at + 2, "“\\(” 与 “\\)” 不成对")
        if name in _TRANSLATES:
            missing = sorted(_math_commands(english[_TRANSLATES[name]]) - set(_COMMAND_RE.findall(text)))
            if missing:
                yield Finding("tex_mismatch", name, None, None,
                              "原文公式中的 TeX 命令在译文中缺失：" + "、".join(f"\\{command}" for command in missing))
