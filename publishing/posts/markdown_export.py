"""A published day as a Jekyll post: the one place its markdown is written.

A pure function over plain data, so the same bytes come out for the web page, the
raw `/days/D.md`, and `export_markdown`. The shape follows the digest's published
posts: front matter; the intro, window and counts lines; per paper a `##` title
(the English one, as arXiv gives it), the Chinese title as a bold line under it, the Authors / Categories / arXiv / PDF lines, the Chinese abstract, and the detailed
reading folded in `<details>` with a `<div markdown="1">`; `---` between papers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Sequence

from publishing.posts.post_text import markdown_text, plain_text

ARXIV_ABS = "https://arxiv.org/abs/{id}"
ARXIV_PDF = "https://arxiv.org/pdf/{id}"
# New-style (2601.01234v2) and old-style (cond-mat/0412498v1) versioned arXiv ids.
_ARXIV_ID_RE = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})v\d+")


def _arxiv_id(versioned_id: str) -> str:
    """The id as it goes into the post's links; anything else is not an arXiv id (a bug upstream)."""
    if not _ARXIV_ID_RE.fullmatch(versioned_id):
        raise ValueError(f"not a versioned arXiv id: {versioned_id!r}")
    return versioned_id


@dataclass(frozen=True)
class PaperPost:
    title: str
    authors: Sequence[str]
    categories: Sequence[str]
    versioned_id: str
    abstract_zh: str
    background_md: str
    method_md: str
    results_md: str
    # Added under the heading, not in it: the reference post's heading is the English title.
    title_zh: str = ""


@dataclass(frozen=True)
class DayPost:
    date: dt.date
    window_start: dt.datetime  # in the digest time zone
    window_end: dt.datetime
    timezone_label: str  # "CST"
    timezone_name: str  # "北京时间"
    categories: Sequence[str]
    fetched: int
    shown: int
    papers: Sequence[PaperPost]
    # The digest's post title for the date (`Digest.post_title`); empty: the first digest's default.
    title: str = ""


def reading_markdown(sections: Sequence[str]) -> str:
    """A paper's reading as the post writes it: its three sections, each under its number `1)  `, `2)  `, `3)  `."""
    return "\n\n".join(f"{number})  \n{markdown_text(text).strip()}" for number, text in enumerate(sections, start=1))


def _paper_block(paper: PaperPost) -> str:
    # Text from arXiv, the LLM and editors is data, written so that no reader of the post runs it.
    title = plain_text(paper.title)
    authors = ", ".join(plain_text(name) for name in paper.authors)
    categories = ", ".join(plain_text(category) for category in paper.categories)
    versioned_id = _arxiv_id(paper.versioned_id)
    abs_url = ARXIV_ABS.format(id=versioned_id)
    pdf_url = ARXIV_PDF.format(id=versioned_id)
    reading = reading_markdown((paper.background_md, paper.method_md, paper.results_md))
    title_zh = plain_text(paper.title_zh)
    return (
        f"## {title}\n"
        + (f"**{title_zh}**\n" if title_zh else "")
        + f"- **Authors**: {authors}\n"
        f"- **Categories**: {categories}\n"
        f"- **arXiv**: [{abs_url}]({abs_url})\n"
        f"- **PDF**: [{pdf_url}]({pdf_url})\n"
        "\n"
        f"{markdown_text(paper.abstract_zh).strip()}\n"
        "\n"
        "<details>\n"
        "<summary>详细解读</summary>\n"
        "\n"
        '<div markdown="1">\n'
        "\n"
        f"{reading}\n"
        "</div>\n"
        "\n"
        "</details>\n"
        "\n"
        "---\n"
    )


def _yaml_quoted(text: str) -> str:
    """Text inside a double-quoted YAML scalar (an editor's title pattern may hold quotes or backslashes)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render_day_markdown(day: DayPost) -> str:
    anchor = f"{day.window_end:%H:%M}"
    header = (
        "---\n"
        "layout: post\n"
        f'title: "{_yaml_quoted(day.title or f"arXiv Daily – {day.date:%Y-%m-%d}")}"\n'
        f"tags: [arxiv, {', '.join(day.categories)}]\n"
        "---\n"
        "\n"
        f"以下为 {day.date:%Y-%m-%d}（{day.timezone_label}，{day.timezone_name}）窗口内更新的论文中文译文：\n"
        f"- 时间窗口（锚点 {anchor} {day.timezone_label}）：{day.window_start:%Y-%m-%d %H:%M} — {day.window_end:%Y-%m-%d %H:%M}\n"
        f"- 抓取总数：{day.fetched} 篇 | 本页显示：{day.shown} 篇（去重/过滤后）\n"
    )
    return header + "".join(f"\n{_paper_block(paper)}" for paper in day.papers)
