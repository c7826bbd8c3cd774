"""Search of published papers, English and Chinese.

PostgreSQL: the generated `search_vector` (migration 0005) holds stemmed English words and
the Chinese text as overlapping character pairs (Chinese has no spaces to split words on);
a query is turned into the same words and pairs by the same SQL function and matched
through the GIN index. SQLite: every query word must appear in one of the fields.
Results are newest first and fetched one page (plus one row) at a time: no count of all matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from publishing.models import PublishedPaper

CJK_RUN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")

MAX_QUERY_CHARS = 200
PAGE_SIZE = 20
TEXT_FIELDS = ("title", "authors_text", "abstract_en", "title_zh", "abstract_zh", "reading_md")
CHINESE_FIELDS = ("title_zh", "abstract_zh", "reading_md")


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


def search_published(query: str, *, page: int = 1) -> SearchPage:
    # Control characters (a NUL is refused by PostgreSQL) are not words: dropped.
    query = " ".join("".join(char if char.isprintable() else " " for char in query).split())[:MAX_QUERY_CHARS]
    if not query:
        return SearchPage(query="", papers=[], page=1, has_next=False)
    papers = PublishedPaper.objects.public()
    if connection.vendor == "postgresql":
        papers = _postgresql_matches(query, papers)
    else:
        papers = papers.filter(_all_words_anywhere(_words(query)))
    start = (page - 1) * PAGE_SIZE
    rows = list(papers.order_by("-day_date", "position").defer("reading_md")[start:start + PAGE_SIZE + 1])
    return SearchPage(query=query, papers=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)
