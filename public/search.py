"""Search of published papers, English and Chinese.

PostgreSQL: the generated `search_vector` (migration 0005) holds stemmed English words and
the Chinese text as overlapping character pairs (Chinese has no spaces to split words on);
a query is turned into the same words and pairs by the same SQL function and matched
through the GIN index. SQLite: every query word must appear in one of the fields.
Results are newest first and fetched one page (plus one row) at a time: no count of all matches.

A query that is an arXiv id (`2601.90006`, `2601.90006v2`, an arxiv.org abs or pdf address) finds
that paper. Each result carries a snippet: the text around the first match, escaped, the match in <mark>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from publishing.models import PublishedPaper
from publishing.posts.math import tex_spans
from publishing.posts.rendering import text_with_math_html

CJK_RUN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")

MAX_QUERY_CHARS = 200
PAGE_SIZE = 20
TEXT_FIELDS = ("title", "authors_text", "abstract_en", "title_zh", "abstract_zh", "reading_md")
CHINESE_FIELDS = ("title_zh", "abstract_zh", "reading_md")
# Where a snippet is looked for, in this order: the texts below the title first (the title is shown anyway).
SNIPPET_FIELDS = ("abstract_zh", "abstract_en", "reading_md", "authors_text", "title_zh", "title")
SNIPPET_CONTEXT = 40  # characters shown on each side of the match
# The id alone (with or without its version) or its arxiv.org page or PDF, as a reader pastes it.
ARXIV_ID_QUERY_RE = re.compile(
    r"(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?(?:arXiv:)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?",
    re.I,
)
# Markdown's marks are not text a reader wants to see in a snippet.
_MARKDOWN_MARKS_RE = re.compile(r"\*\*|^\s*[-*+]\s+|^\s*\d+[.)]\s*", re.M)


@dataclass(frozen=True)
class SearchPage:
    query: str
    papers: list[PublishedPaper]
    page: int
    has_next: bool


def _words(query: str) -> list[str]:
    return [word for word in re.split(r"\s+", query) if word]


def _all_words_anywhere(words: list[str], fields=TEXT_FIELDS) -> Q:
    condition = Q()
    for word in words:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


def _postgresql_matches(query: str, papers: QuerySet) -> QuerySet:
    cjk_runs = CJK_RUN_RE.findall(query)
    english = CJK_RUN_RE.sub(" ", query)
    parts, params = [], []
    if english.strip():
        parts.append("plainto_tsquery('english'::regconfig, %s)")
        params.append(english)
    if any(len(run) > 1 for run in cjk_runs):
        parts.append("plainto_tsquery('simple'::regconfig, digest_cjk_pairs(%s))")
        params.append(query)
    if parts:
        sql = "search_vector @@ (" + " && ".join(parts) + ")"
        papers = papers.alias(matches=RawSQL(sql, params, output_field=BooleanField())).filter(matches=True)
    single_characters = [run for run in cjk_runs if len(run) == 1]
    if single_characters:  # a pair index cannot find one character alone
        papers = papers.filter(_all_words_anywhere(single_characters, CHINESE_FIELDS))
    return papers


def _snippet_terms(query: str) -> list[str]:
    """What to mark in a snippet: the query's words, an English word also without a plural `s` (the
    index stems it), and each pair of characters of a Chinese run (the index matches by pairs)."""
    terms = []
    for word in _words(query):
        terms.append(word)
        if CJK_RUN_RE.fullmatch(word) and len(word) > 2:
            terms += [word[index:index + 2] for index in range(len(word) - 1)]
        elif len(word) > 3 and word[-1] in "sS":
            terms.append(word[:-1])
    return sorted(set(terms), key=len, reverse=True)  # the longest match wins where two overlap


def snippet_html(paper: PublishedPaper, query: str) -> SafeString:
    """The text around the first match of `query` in the paper's fields (escaped, matches in <mark>, TeX as
    MathML); the start of the Chinese abstract when no field holds a query word (found by id, or by a stem).

    A match inside TeX is not marked (it would split the formula), and the window around the match is
    widened to keep whole any formula it cuts.
    """
    terms = _snippet_terms(query)
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.I) if terms else None
    for field in SNIPPET_FIELDS:
        text = " ".join(_MARKDOWN_MARKS_RE.sub(" ", getattr(paper, field) or "").split())
        spans = tex_spans(text)
        matches = [match for match in pattern.finditer(text) if not _inside(match.span(), spans)] if pattern else []
        if matches:
            start = _outside_tex(max(0, matches[0].start() - SNIPPET_CONTEXT), spans, backwards=True)
            end = _outside_tex(matches[0].end() + SNIPPET_CONTEXT, spans, backwards=False)
            return _marked(text, matches, start, min(end, len(text)))
    text = " ".join(_MARKDOWN_MARKS_RE.sub(" ", paper.abstract_zh).split())
    return _marked(text, [], 0, min(_outside_tex(2 * SNIPPET_CONTEXT, tex_spans(text), backwards=False), len(text)))


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in spans)


def _outside_tex(position: int, spans: list[tuple[int, int]], *, backwards: bool) -> int:
    """`position`, moved to the edge of the formula it falls in, if any."""
    for start, end in spans:
        if start < position < end:
            return start if backwards else end
    return position


def _marked(text: str, matches: list[re.Match], start: int, end: int) -> SafeString:
    parts, last = [], start
    for match in matches:
        if match.end() > end:
            break
        parts += [text_with_math_html(text[last:match.start()]), "<mark>", escape(match.group(0)), "</mark>"]
        last = match.end()
    parts.append(text_with_math_html(text[last:end]))
    return mark_safe(("…" if start > 0 else "") + "".join(parts) + ("…" if end < len(text) else ""))  # noqa: S308 (escaped, TeX through the post's allow-list)


def search_published(digest, query: str, *, page: int = 1) -> SearchPage:
    """The digest's public papers matching `query`, newest first, one page."""
    # Control characters (a NUL is refused by PostgreSQL) are not words: dropped.
    query = " ".join("".join(char if char.isprintable() else " " for char in query).split())[:MAX_QUERY_CHARS]
    if not query:
        return SearchPage(query="", papers=[], page=1, has_next=False)
    papers = PublishedPaper.objects.public(digest)
    arxiv_id = ARXIV_ID_QUERY_RE.fullmatch(query)
    if arxiv_id:
        papers = papers.filter(arxiv_id=arxiv_id.group("id"))
    elif connection.vendor == "postgresql":
        papers = _postgresql_matches(query, papers)
    else:
        papers = papers.filter(_all_words_anywhere(_words(query)))
    start = (page - 1) * PAGE_SIZE
    rows = list(papers.order_by("-day_date", "position")[start:start + PAGE_SIZE + 1])
    for paper in rows:
        paper.snippet = snippet_html(paper, "" if arxiv_id else query)
    return SearchPage(query=query, papers=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)
