"""Markdown written by the LLM or editors, turned into HTML that is safe to show (nh3 allow-list)."""

from __future__ import annotations

import functools
import re
from html import escape as html_escape
from typing import Sequence

import markdown
import nh3
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from publishing.posts.math import MATHML_ATTRIBUTES, MATHML_TAGS, math_in_html
from publishing.posts.post_text import markdown_text
from publishing.site_links import digest_path

ALLOWED_TAGS = {"p", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre", "blockquote", "br", "a",
                "details", "summary", "div", "h2", "h3", "h4", "sub", "sup", "del", "ins", "hr"}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# nh3's defaults for HTML (links' href, …) and the MathML attributes; MathML carries no links.
_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "code": {"class"}, **MATHML_ATTRIBUTES}


# List items; not `1) `, which is how the post numbers a reading's sections.
_LIST_INDENT_RE = re.compile(r"^( *)((?:[-*+]|\d+\.) )")
_LIST_ITEM_RE = re.compile(r"^ *(?:[-*+]|\d+\.) ")
_FRONT_MATTER_RE = re.compile(r"\A---\n.*?\n---\n", re.S)
# md_in_html parses markdown only inside elements marked markdown="1"; a bare <details>
# would keep the reading inside it as raw text (literal ** and - for readers).
_DETAILS_RE = re.compile(r"^<details>$", re.M)


def _clean(html: str) -> str:
    """TeX made MathML (publishing.posts.math), then everything through the allow-list."""
    return nh3.clean(math_in_html(html), tags=ALLOWED_TAGS | MATHML_TAGS, attributes=_ATTRIBUTES,
                     url_schemes=ALLOWED_URL_SCHEMES, link_rel="noopener nofollow")


def html_sanitised(html: str) -> str:
    """HTML made here earlier (a publication's), through the same allow-list again where it leaves the site
    (a feed): what readers get is checked when they get it, not only when it was stored."""
    return nh3.clean(html, tags=ALLOWED_TAGS | MATHML_TAGS, attributes=_ATTRIBUTES, url_schemes=ALLOWED_URL_SCHEMES,
                     link_rel="noopener nofollow")


def text_with_math_html(text: str) -> str:
    """Plain text (a title) as safe HTML, its TeX as MathML: for the pages' templates and feeds."""
    return _clean(html_escape(text))


def _nest_two_space_lists(text: str) -> str:
    """Python-Markdown nests a list only 4 spaces deeper; drafts and posts indent by 2 or 4.
    In each block of lines, the distinct indents of list items become nesting levels of 4."""
    blocks = re.split(r"(\n[ \t]*\n)", text)
    for index in range(0, len(blocks), 2):
        lines = blocks[index].split("\n")
        indents = sorted({len(m.group(1)) for line in lines if (m := _LIST_INDENT_RE.match(line))})
        if len(indents) < 2:
            continue
        level = {indent: number for number, indent in enumerate(indents)}
        blocks[index] = "\n".join(
            _LIST_INDENT_RE.sub(lambda m: " " * (4 * level[len(m.group(1))]) + m.group(2), line, count=1)
            for line in lines
        )
    return "".join(blocks)


def _lists_after_paragraphs(text: str) -> str:
    """Python-Markdown needs a blank line between a paragraph and a list; the post (like
    Jekyll's kramdown readers) writes lists straight under a line such as `1)  `."""
    lines, previous = [], ""
    for line in text.split("\n"):
        if _LIST_ITEM_RE.match(line) and previous.strip() and not _LIST_ITEM_RE.match(previous) \
                and not previous.startswith((" ", "\t")):
            lines.append("")
        lines.append(line)
        previous = line
    return "\n".join(lines)


@functools.lru_cache(maxsize=1024)
def render_markdown_safely(text: str) -> str:
    """An abstract or reading section as HTML, written as the post writes it (publishing.posts.post_text)."""
    html = markdown.markdown(_nest_two_space_lists(markdown_text(text or "")), extensions=["sane_lists"])
    return _clean(html)


def render_post_html(post_markdown: str, papers: Sequence | None = None) -> str:
    """A day's Jekyll post as the HTML of its page: front matter dropped, each reading
    folded in its <details>, rendered as real lists and emphasis, then sanitised.

    With the day's `papers` (PublishedPaper rows, in the post's order), each paper's page
    marks also what readers should be able to trust: the title links to the site's paper
    page, a 人工审校 line says when an editor approved it, and the English title and
    abstract are one click away (a <details>). The markdown post carries none of this.
    """
    body = _FRONT_MATTER_RE.sub("", post_markdown, count=1)
    body = _DETAILS_RE.sub('<details markdown="1">', body)
    body = _lists_after_paragraphs(_nest_two_space_lists(body))
    html = markdown.markdown(body, extensions=["md_in_html", "sane_lists"])
    if papers:
        html = _with_trust_marks(html, list(papers))
    return _clean(html)


def post_html_parts(html: str) -> tuple[str, str]:
    """A day's rendered post as (its notes: the intro, window and counts lines; its papers, from the first
    heading on), so that a page can fold the notes and open on the first paper."""
    first_heading = html.find("<h2")
    if first_heading < 0:
        return html, ""
    return html[:first_heading].strip(), html[first_heading:]


# A paper's heading, the bold line of its Chinese title when it has one, and its Authors … PDF list.
_PAPER_HEADING_RE = re.compile(r"<h2>(?P<title>.*?)</h2>(?P<meta>\s*(?:<p><strong>.*?</strong></p>\s*)?<ul>.*?</ul>)", re.S)


def _with_trust_marks(html: str, papers: list) -> str:
    position = iter(papers)
    # The papers' own digest's page (the first digest's at the root; rows made by hand may have none).
    digest = papers[0].digest if getattr(papers[0], "digest_id", None) else None

    def marked(match: re.Match) -> str:
        paper = next(position, None)
        if paper is None:
            return match.group(0)
        reviewed = ""
        if paper.reviewed_at is not None:
            moment = timezone.localtime(paper.reviewed_at).strftime("%Y-%m-%d %H:%M")
            reviewed = f'<p class="reviewed">人工审校 · {moment}</p>'
        original = (f'<details class="original"><summary>英文原文</summary><p lang="en"><strong>'
                    f'{html_escape(paper.title)}</strong></p><p lang="en">{html_escape(paper.abstract_en)}</p></details>')
        paper_page = digest_path(digest, "paper", paper.arxiv_id)
        return (f'<h2><a href="{html_escape(paper_page)}">{match.group("title")}</a></h2>'
                f'{match.group("meta")}{reviewed}{original}')

    return _PAPER_HEADING_RE.sub(marked, html)


# The reading's sections by name, as editors know them (the fields of translations' ChineseText).
READING_SECTION_NAMES = (_("background and prior-work problems"), _("method"), _("tasks and results"))


def render_named_reading_html(sections: Sequence[str]) -> str:
    """A paper's reading for its own page: each section under its name (an <h3>), its text rendered as the
    day's page renders it; a section left empty is left out."""
    return "\n".join(
        f"<h3>{html_escape(str(name))}</h3>" + render_post_html(f'<div markdown="1">\n\n{markdown_text(text).strip()}\n</div>\n')
        for name, text in zip(READING_SECTION_NAMES, sections) if text.strip()
    )
