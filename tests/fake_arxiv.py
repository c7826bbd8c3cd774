"""A simulated arXiv for tests: papers with submission and visibility times, rendered as real
API Atom answers by a handler for tests.local_server.LocalServer."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from tests.local_server import RecordedRequest, Reply


@dataclass
class SimPaper:
    arxiv_id: str
    version: int
    title: str
    primary: str
    categories: list[str]
    published: dt.datetime
    updated: dt.datetime
    # When the API starts returning this version.
    visible_at: dt.datetime
    authors: list[str] = field(default_factory=lambda: ["A. Author", "B. Author"])
    abstract: str = "We study a problem and report results."


def atom_entry(paper: SimPaper) -> str:
    versioned = f"{paper.arxiv_id}v{paper.version}"
    categories = "".join(f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in paper.categories)
    authors = "".join(f"<author><name>{escape(name)}</name></author>" for name in paper.authors)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return (
        f"<entry><id>http://arxiv.org/abs/{versioned}</id>"
        f"<title>{escape(paper.title)}</title>"
        f"<updated>{paper.updated.astimezone(dt.UTC):{stamp}}</updated>"
        f"<published>{paper.published.astimezone(dt.UTC):{stamp}}</published>"
        f"<summary>{escape(paper.abstract)}</summary>{categories}"
        f"<arxiv:primary_category term={quoteattr(paper.primary)}/>{authors}</entry>"
    )


def atom_feed(entries: list[SimPaper], *, total: int, start: int) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">'
        "<id>https://arxiv.org/api/simulated</id><title>arXiv Query: simulated</title>"
        "<updated>2026-01-01T00:00:00Z</updated>"
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        + "".join(atom_entry(paper) for paper in entries)
        + "</feed>"
    ).encode()


_RANGE_RE = re.compile(r"lastUpdatedDate:\[(\d{12}) TO (\d{12})\]")
_CATEGORY_RE = re.compile(r"cat:([\w.-]+)")


class SimulatedArxiv:
    """Answers API queries from the papers visible at `now`, like export.arxiv.org would."""

    def __init__(self) -> None:
        self.papers: list[SimPaper] = []
        self.now = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        # start offsets whose next answer is an empty page (arXiv's mid-result glitch)
        self.glitch_once_at: set[int] = set()

    def visible(self) -> list[SimPaper]:
        latest: dict[str, SimPaper] = {}
        for paper in self.papers:
            if paper.visible_at <= self.now:
                known = latest.get(paper.arxiv_id)
                if known is None or paper.version > known.version:
                    latest[paper.arxiv_id] = paper
        return list(latest.values())

    def __call__(self, request: RecordedRequest) -> Reply:
        query = request.query["search_query"][0]
        start = int(request.query.get("start", ["0"])[0])
        size = int(request.query.get("max_results", ["10"])[0])
        since_text, until_text = _RANGE_RE.search(query).groups()
        since = dt.datetime.strptime(since_text, "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
        until = dt.datetime.strptime(until_text, "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
        categories = set(_CATEGORY_RE.findall(query))
        matching = sorted(
            (
                paper
                for paper in self.visible()
                if since <= paper.updated <= until and categories.intersection(paper.categories)
            ),
            key=lambda paper: (paper.updated, paper.arxiv_id),
            reverse=True,
        )
        if start in self.glitch_once_at and start < len(matching):
            self.glitch_once_at.discard(start)
            return Reply(body=atom_feed([], total=len(matching), start=start))
        return Reply(body=atom_feed(matching[start : start + size], total=len(matching), start=start))
