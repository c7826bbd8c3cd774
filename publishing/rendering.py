"""Markdown written by the LLM or editors, turned into HTML that is safe to show (nh3 allow-list)."""

from __future__ import annotations

import re

import markdown
import nh3

ALLOWED_TAGS = {"p", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre", "blockquote", "br", "a",
                "details", "summary", "div", "h2", "h3", "h4", "sub", "sup", "del", "ins", "hr"}


# Python-Markdown nests a list only under 4 spaces; drafts (and the reference post) indent by 2.
_LIST_INDENT_RE = re.compile(r"^( +)(?=(?:[-*+]|\d+[.)]) )", re.M)


def render_markdown_safely(text: str) -> str:
    text = _LIST_INDENT_RE.sub(lambda match: match.group(1) * 2, text or "")
    html = markdown.markdown(text, extensions=["sane_lists"])
    return nh3.clean(html, tags=ALLOWED_TAGS, url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")
