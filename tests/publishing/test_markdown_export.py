"""The day's markdown: golden output from fixture data, and the reference post's structure."""

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

from publishing.posts.markdown_export import DayPost, PaperPost, render_day_markdown

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day_post(papers, fetched=11, shown=None) -> DayPost:
    return DayPost(
        date=dt.date(2026, 1, 9),
        window_start=dt.datetime(2026, 1, 8, 8, 50, tzinfo=SHANGHAI),
        window_end=dt.datetime(2026, 1, 9, 8, 50, tzinfo=SHANGHAI),
        timezone_label="CST",
        timezone_name="北京时间",
        categories=["cs.SD", "eess.AS"],
        fetched=fetched,
        shown=len(papers) if shown is None else shown,
        papers=papers,
    )


PAPER = PaperPost(
    title="A Benchmark for Instrument Recognition",
    title_zh="乐器识别基准",
    authors=["Aigerim Sadykova", "Jonas Becker"],
    categories=["cs.SD"],
    versioned_id="2601.90005v1",
    abstract_zh="我们发布了一个基准。",
    background_md="- **研究背景**：乐器识别。",
    method_md="- **核心思路**：构建基准。\n  - **规模**：1,200 个片段。",
    results_md="- **任务与效果**：F1 最多下降 27%。",
)

GOLDEN = """---
layout: post
title: "arXiv Daily – 2026-01-09"
tags: [arxiv, cs.SD, eess.AS]
---

以下为 2026-01-09（CST，北京时间）窗口内更新的论文中文译文：
- 时间窗口（锚点 08:50 CST）：2026-01-08 08:50 — 2026-01-09 08:50
- 抓取总数：11 篇 | 本页显示：1 篇（去重/过滤后）

## A Benchmark for Instrument Recognition
**乐器识别基准**
- **Authors**: Aigerim Sadykova, Jonas Becker
- **Categories**: cs.SD
- **arXiv**: [https://arxiv.org/abs/2601.90005v1](https://arxiv.org/abs/2601.90005v1)
- **PDF**: [https://arxiv.org/pdf/2601.90005v1](https://arxiv.org/pdf/2601.90005v1)

我们发布了一个基准。

<details>
<summary>详细解读</summary>

<div markdown="1">

1)  
- **研究背景**：乐器识别。

2)  
- **核心思路**：构建基准。
  - **规模**：1,200 个片段。

3)  
- **任务与效果**：F1 最多下降 27%。
</div>

</details>

---
"""


def test_golden_markdown_from_fixture_data():
    assert render_day_markdown(day_post([PAPER])) == GOLDEN


def test_the_chinese_title_is_a_line_under_the_english_heading_not_in_it():
    text = render_day_markdown(day_post([PAPER]))
    assert "## A Benchmark for Instrument Recognition\n**乐器识别基准**\n- **Authors**: " in text
    untitled = render_day_markdown(day_post([PaperPost(**{**PAPER.__dict__, "title_zh": "  "})]))
    assert "## A Benchmark for Instrument Recognition\n- **Authors**: " in untitled and "****" not in untitled
    hostile = render_day_markdown(day_post([PaperPost(**{**PAPER.__dict__, "title_zh": "标题 **粗** {{ x }}\n## 伪"})]))
    assert "**标题 &#42;&#42;粗&#42;&#42; &#123;&#123; x &#125;&#125; &#35;&#35; 伪**\n" in hostile


def test_rendering_is_deterministic_and_keeps_paper_order():
    second = PaperPost(**{**PAPER.__dict__, "title": "Second", "versioned_id": "2601.90004v2"})
    text = render_day_markdown(day_post([PAPER, second]))
    assert text == render_day_markdown(day_post([PAPER, second]))
    assert text.index("## A Benchmark") < text.index("## Second")
    assert text.count("<details>") == 2 and text.count("\n---\n") == 3  # front matter end + one per paper


def _skeleton(markdown: str) -> list[str]:
    """The post's structure: what kind each line is, content left out."""
    kinds = []
    for line in markdown.splitlines():
        if line in ("---", "<details>", "</details>", '<div markdown="1">', "</div>") or line.startswith(("layout:", "<summary>")):
            kinds.append(line)
        elif line.startswith(("title:", "tags:")):
            kinds.append(line.split(":")[0])
        elif line.startswith("## "):
            kinds.append("## title")
        elif m := re.match(r"- \*\*(Authors|Categories|arXiv|PDF)\*\*: ", line):
            kinds.append(m.group(1))
        elif re.fullmatch(r"[123][.)]\s*", line):
            kinds.append("section number")
        elif line.startswith(("以下为", "- 时间窗口", "- 抓取总数")):
            kinds.append(line[:4])
    return kinds


def test_structure_matches_the_reference_post(own_data):
    """The digest's real post of 2026-01-09, kept as its structure only: its number of papers,
    `_skeleton` of it and its first 9 lines (made as tests/data/README.md says)."""
    reference = json.loads((own_data / "reference_post_structure.json").read_text(encoding="utf-8"))
    rendered = render_day_markdown(day_post([PAPER] * reference["papers"], fetched=11))
    assert _skeleton(rendered) == reference["skeleton"]
    # The header lines match to the character.
    assert rendered.splitlines()[:9] == reference["header"]
