"""Parse what arXiv sends into plain `FeedPaper` values.

Pure functions over bytes: no database, no network. Four shapes are understood:

- `api`:      the arXiv API (export.arxiv.org/api/query), Atom 1.0, legacy and current;
- `rss`:      the announcement feed rss.arxiv.org/rss, RSS 2.0 with arxiv:announce_type;
- `rss-atom`: the same feed as Atom (rss.arxiv.org/atom);
- `rss-rdf`:  the pre-2024 RSS 1.0 feed (export.arxiv.org/rss), for saved files.

Everything in a feed is untrusted text: it is kept as text here (no HTML is
interpreted) and escaped or sanitised wherever it is shown.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.parsers.expat import ExpatError
from xml.sax import SAXException

import feedparser
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

ATOM_NS = "{http://www.w3.org/2005/Atom}"
ARXIV_NS = "{http://arxiv.org/schemas/atom}"

# New-style ids (0704.0001 onwards, 5 digits since 1501) and old-style ids
# (archive[.SUBJECT]/YYMMNNN), each optionally followed by a version. The
# lookarounds stop a longer run of digits or letters from yielding a wrong id.
NEW_STYLE_ID = r"(?<!\d)\d{4}\.\d{4,5}(?!\d)"
OLD_STYLE_ID = r"(?<![A-Za-z.-])[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7}(?!\d)"
ARXIV_ID_RE = re.compile(rf"(?P<id>{NEW_STYLE_ID}|{OLD_STYLE_ID})(?:v(?P<version>\d+))?")
CATEGORY_RE = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?")
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")

_RSS_DESCRIPTION_RE = re.compile(
    r"^\s*arXiv:(?P<ref>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:)?\s*", re.S
)
_RDF_TITLE_RE = re.compile(
    r"\s*\(arXiv:(?P<ref>\S+)\s+\[(?P<primary>[^\]]+)\](?:\s+(?P<flag>UPDATED|CROSS LISTED))?\)\s*$"
)
_RDF_ANNOUNCE_TYPES = {None: "", "UPDATED": "replace", "CROSS LISTED": "cross"}


class FeedError(Exception):
    """What arXiv sent cannot be used; the message says why, in one line."""


class EntryRefused(FeedError):
    """One entry cannot be used, the rest of the feed can: it is left out, and the message (one line,
    naming the entry) goes into `ParsedFeed.refused` and from there onto the fetch's record."""


@dataclass(frozen=True)
class FeedAuthor:
    name: str
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedPaper:
    arxiv_id: str
    version: int
    title: str
    authors: tuple[FeedAuthor, ...]
    primary_category: str
    categories: tuple[str, ...]
    abstract: str
    published: dt.datetime
    updated: dt.datetime
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    license: str = ""
    # Classification codes (MSC, ACM) that some entries list beside categories.
    other_classes: tuple[str, ...] = ()
    # From the announcement feeds only: new, cross, replace or replace-cross.
    announce_type: str = ""
    # From the announcement feeds only: the announcement date the feed gives.
    # The API's `published` is the first version's submission time instead.
    announced: dt.datetime | None = None


@dataclass
class ParsedFeed:
    format: str
    papers: list[FeedPaper] = field(default_factory=list)
    total_results: int | None = None
    start_index: int | None = None
    # One line per entry left out (EntryRefused), naming it and saying why.
    refused: list[str] = field(default_factory=list)


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """`2601.05011v2` → ("2601.05011", 2); `math.AG/0601001` → ("math/0601001", None).

    Old-style ids sometimes carry the subject class (`math.AG/…`); arXiv's
    canonical id is the archive alone, so it is dropped to keep one id per paper.
    """
    match = ARXIV_ID_RE.search(text)
    if not match:
        raise FeedError(f"no arXiv identifier in {text!r}")
    version = match["version"]
    return re.sub(r"^([a-z-]+)\.[A-Z]{2}/", r"\1/", match["id"]), int(version) if version else None


# arXiv marks a new paragraph of an abstract by a line indented with spaces (hard-wrapped
# lines of the legacy API start at the margin); a blank line is a break too.
_PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t]*\n|\n(?=[ \t]{2}|\t)")


def clean_text(text: str | None) -> str:
    """Repair double-encoded UTF-8 and join wrapped lines; paragraph breaks become blank lines."""
    if not text:
        return ""
    # ftfy is imported here, not at the top: with wcwidth it is a noticeable part of every process's
    # start-up (the services import this module for FeedPaper), and only parsing a feed needs it.
    import ftfy

    text = ftfy.fix_encoding(text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = _PARAGRAPH_BREAK_RE.split(text.strip())
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs if paragraph.strip())


def clean_line(text: str | None) -> str:
    import ftfy

    return " ".join(ftfy.fix_encoding(text or "").split())


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return "".join(extractor.parts)


def _aware(struct_time) -> dt.datetime | None:
    if not struct_time:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(struct_time), tz=dt.UTC)


# The dates feeds write: W3C / ISO 8601 (Atom, the API, dc:date) and RFC 822 (RSS 2.0). ASCII digits only.
_ISO_DATE_RE = re.compile(r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?")
_RFC822_DATE_RE = re.compile(
    r"\s*(?:[A-Za-z]+,\s*)?([0-9]{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+([0-9]{2,4})"
    r"(?:\s+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


class ImpossibleDate(Exception):
    """A date that names no real day or time (month 13, 30 February, 25:00)."""


@dataclass(frozen=True)
class FeedDateImpossible:
    """The feed's own date named no real day: an item without a date of its own is left out, saying so."""

    why: str


def _names_no_real_moment(text: str) -> bool:
    """Whether a date written in one of the feeds' formats names a day or time that does not exist.
    feedparser rolls such a date over instead (2026-13-45T99:99:99Z becomes 2027-01-01), so it is read
    here first. A leap second (:60) is real; a format not recognised here is left to feedparser."""
    if match := _ISO_DATE_RE.match(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif (match := _RFC822_DATE_RE.match(text)) and match[2].lower() in _MONTHS:
        year, month, day = int(match[3]), _MONTHS[match[2].lower()], int(match[1])
        year += 2000 if year < 50 else 1900 if year < 100 else 0  # RFC 822's two-digit years
    else:
        return False
    hour, minute, second = (int(part) if part else 0 for part in match.groups()[3:6])
    try:
        dt.datetime(year, month, day, hour, minute, 59 if second == 60 else second)
    except ValueError:
        return True
    return False


def _feed_date(source, key: str) -> dt.datetime | None:
    """`source`'s (an entry's or the feed's) date `key` (`published`, `updated`), in UTC; None if it has
    none feedparser can read. ImpossibleDate if it names a day or time that does not exist."""
    text = source.get(key)
    if isinstance(text, str) and _names_no_real_moment(text):
        raise ImpossibleDate(f"its {key} date {text.strip()[:40]!r} is no real day and time")
    return _aware(source.get(f"{key}_parsed"))


def _split_categories(terms) -> tuple[tuple[str, ...], tuple[str, ...]]:
    categories: list[str] = []
    other: list[str] = []
    for term in terms:
        term = (term or "").strip()
        if not term:
            continue
        bucket = categories if CATEGORY_RE.fullmatch(term) else other
        if term not in bucket:
            bucket.append(term)
    return tuple(categories), tuple(other)


_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


def _split_author_list(names: str) -> tuple[FeedAuthor, ...]:
    """The announcement feeds give all authors as one string: "A, B, and C"; "Smith, Jr." is one name."""
    parts = [part.strip() for part in re.split(r",\s*(?:and\s+)?|\s+and\s+", clean_line(names)) if part.strip()]
    authors: list[str] = []
    for part in parts:
        if authors and part.casefold() in _NAME_SUFFIXES:
            authors[-1] = f"{authors[-1]}, {part}"
        else:
            authors.append(part)
    return tuple(FeedAuthor(name=name) for name in authors)


def _looks_like_html(content: bytes) -> bool:
    head = content[:2048].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<body" in head


def _first_text(content: bytes) -> str:
    extractor = _TextExtractor()
    extractor.feed(content[:4096].decode("utf-8", "replace"))
    return " ".join(" ".join(extractor.parts).split())[:120]


def _atom_authors_by_entry_id(content: bytes) -> dict[str, tuple[FeedAuthor, ...]]:
    """feedparser keeps only the last arxiv:affiliation of an entry; read them per author here."""
    try:
        root = SafeElementTree.fromstring(content)
    except (SafeElementTree.ParseError, DefusedXmlException, ExpatError, ValueError):
        return {}
    authors: dict[str, tuple[FeedAuthor, ...]] = {}
    for entry in root.iter(f"{ATOM_NS}entry"):
        entry_id = (entry.findtext(f"{ATOM_NS}id") or "").strip()
        authors[entry_id] = tuple(
            FeedAuthor(
                name=clean_line(author.findtext(f"{ATOM_NS}name")),
                affiliations=tuple(
                    clean_line(affiliation.text)
                    for affiliation in author.findall(f"{ARXIV_NS}affiliation")
                    if clean_line(affiliation.text)
                ),
            )
            for author in entry.findall(f"{ATOM_NS}author")
        )
    return authors


def parse_feed(content: bytes) -> ParsedFeed:
    """Parse an API answer or an announcement feed; raise FeedError if it is neither or an error."""
    if not content or not content.strip():
        raise FeedError("the answer is empty (no feed at all)")
    # Bytes, never str: feedparser treats a str as a URL or file name to open.
    try:
        parsed = feedparser.parse(bytes(content), sanitize_html=False, resolve_relative_uris=False)
    except (UnicodeError, ValueError, OverflowError) as exc:
        # XML refuses a character reference to no character (&#xD800;, a surrogate; &#x110000;); the
        # strict parser says so, but feedparser's lenient one then fails on it with a traceback.
        raise FeedError(f"malformed XML: a character reference names no character ({exc.__class__.__name__}: "
                        f"{' '.join(str(exc).split())[:120]})") from None
    if not parsed.version:
        if b"<OAI-PMH" in content[:4096]:
            raise FeedError("an OAI-PMH harvest is not supported; save an arXiv API answer or RSS/Atom feed")
        if _looks_like_html(content):
            raise FeedError(f"got an HTML page instead of a feed: {_first_text(content)!r}")
        if parsed.bozo:
            raise FeedError(f"malformed XML: {parsed.bozo_exception}")
        raise FeedError("not an arXiv API answer nor an RSS/Atom feed")
    if parsed.bozo and isinstance(parsed.bozo_exception, SAXException):
        raise FeedError(f"malformed XML: {parsed.bozo_exception}")

    feed_format = _detect_format(parsed)
    if feed_format == "api":
        return _parse_api(parsed, content)
    return _parse_announcements(parsed, content, feed_format)


def _detect_format(parsed) -> str:
    if parsed.version == "rss10" or parsed.version == "rss090":
        return "rss-rdf"
    if parsed.version.startswith("rss"):
        return "rss"
    if parsed.version.startswith("atom"):
        ids = [entry.get("id", "") for entry in parsed.entries]
        if any(entry_id.lower().startswith("oai:arxiv.org:") for entry_id in ids):
            return "rss-atom"
        if "opensearch_totalresults" in parsed.feed or "/api/" in parsed.feed.get("id", ""):
            return "api"
        if "rss.arxiv.org" in parsed.feed.get("id", "") or "rss.arxiv.org" in parsed.feed.get("link", ""):
            return "rss-atom"
        return "api"
    raise FeedError(f"unsupported feed type {parsed.version!r}")


def _int_or_none(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _parse_api(parsed, content: bytes) -> ParsedFeed:
    for entry in parsed.entries:
        if "/api/errors" in entry.get("id", ""):
            raise FeedError(f"arXiv API error: {clean_line(entry.get('summary')) or entry.get('id')}")
    authors_by_id = _atom_authors_by_entry_id(content)
    result = ParsedFeed(
        format="api",
        total_results=_int_or_none(parsed.feed.get("opensearch_totalresults")),
        start_index=_int_or_none(parsed.feed.get("opensearch_startindex")),
    )
    for position, entry in enumerate(parsed.entries, start=1):
        try:
            result.papers.append(_api_paper(entry, authors_by_id, position))
        except EntryRefused as refused:
            result.refused.append(str(refused))
    return result


def _api_paper(entry, authors_by_id, position: int) -> FeedPaper:
    entry_id = entry.get("id", "")
    try:
        arxiv_id, version = split_arxiv_id(entry_id)
    except FeedError:
        raise FeedError(f"entry {position} has no arXiv id (id {entry_id!r})") from None
    title = clean_line(entry.get("title"))
    if not title:
        raise FeedError(f"entry {position} ({arxiv_id}) has no title")
    try:
        published = _feed_date(entry, "published")
        updated = _feed_date(entry, "updated") or published
    except ImpossibleDate as exc:
        raise EntryRefused(f"entry {position} ({arxiv_id}) left out: {exc}") from None
    if published is None:
        raise FeedError(f"entry {position} ({arxiv_id}) has no valid published date")
    categories, other_classes = _split_categories(tag.get("term") for tag in entry.get("tags", []))
    primary = (entry.get("arxiv_primary_category") or {}).get("term", "").strip()
    if not primary and categories:
        primary = categories[0]
    if primary and primary not in categories and CATEGORY_RE.fullmatch(primary):
        categories = (primary, *categories)
    authors = authors_by_id.get(entry_id.strip()) or tuple(
        FeedAuthor(name=clean_line(author.get("name"))) for author in entry.get("authors", []) if author.get("name")
    )
    return FeedPaper(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=title,
        authors=authors,
        primary_category=primary,
        categories=categories,
        abstract=clean_text(entry.get("summary")),
        published=published,
        updated=updated,
        comment=clean_line(entry.get("arxiv_comment")),
        journal_ref=clean_line(entry.get("arxiv_journal_ref")),
        doi=clean_line(entry.get("arxiv_doi")),
        other_classes=other_classes,
    )


def _parse_announcements(parsed, content: bytes, feed_format: str) -> ParsedFeed:
    title = parsed.feed.get("title", "")
    if title.lower().startswith("feed error"):
        raise FeedError(f"arXiv RSS error: {clean_line(parsed.feed.get('description') or parsed.feed.get('subtitle') or title)}")
    try:
        feed_date = _feed_date(parsed.feed, "published") or _feed_date(parsed.feed, "updated")
    except ImpossibleDate as exc:
        feed_date = FeedDateImpossible(f"the feed's date is unusable: {exc}")
    authors_by_id = _atom_authors_by_entry_id(content) if feed_format == "rss-atom" else {}
    result = ParsedFeed(format=feed_format, total_results=len(parsed.entries), start_index=0)
    for position, entry in enumerate(parsed.entries, start=1):
        try:
            if feed_format == "rss-rdf":
                result.papers.append(_rdf_paper(entry, feed_date, position))
            else:
                result.papers.append(_announcement_paper(entry, feed_date, authors_by_id, position))
        except EntryRefused as refused:
            result.refused.append(str(refused))
    return result


def _announced(entry, keys: tuple[str, ...], feed_date, position: int, arxiv_id: str) -> dt.datetime:
    """An item's announcement date: its own (the first of `keys` it has), else the feed's."""
    try:
        announced = next((date for date in (_feed_date(entry, key) for key in keys) if date), None)
    except ImpossibleDate as exc:
        raise EntryRefused(f"item {position} ({arxiv_id}) left out: {exc}") from None
    if announced is None and isinstance(feed_date, FeedDateImpossible):
        raise EntryRefused(f"item {position} ({arxiv_id}) left out: it has no date of its own, and {feed_date.why}")
    announced = announced or feed_date
    if announced is None:
        raise FeedError(f"item {position} ({arxiv_id}) has no announcement date")
    return announced


def _announcement_paper(entry, feed_date, authors_by_id, position: int) -> FeedPaper:
    description = entry.get("summary", "")
    header = _RSS_DESCRIPTION_RE.match(description)
    reference = header["ref"] if header else entry.get("id", "") or entry.get("link", "")
    try:
        arxiv_id, version = split_arxiv_id(reference)
    except FeedError:
        raise FeedError(f"item {position} has no arXiv id") from None
    if version is None:
        _, version = split_arxiv_id(entry.get("id", "") or reference)
    announce_type = (entry.get("arxiv_announce_type") or (header["type"] if header else "")).strip().lower()
    if announce_type and announce_type not in ANNOUNCE_TYPES:
        raise FeedError(f"item {position} ({arxiv_id}) has an unknown announce type {announce_type!r}")
    title = clean_line(entry.get("title"))
    if not title:
        raise FeedError(f"item {position} ({arxiv_id}) has no title")
    announced = _announced(entry, ("published",), feed_date, position, arxiv_id)
    categories, other_classes = _split_categories(tag.get("term") for tag in entry.get("tags", []))
    authors = tuple(author for author in authors_by_id.get(entry.get("id", "").strip(), ()) if author.name)
    if not authors or len(authors) == 1 and "," in authors[0].name:
        authors = _split_author_list(entry.get("author", ""))
    return FeedPaper(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=title,
        authors=authors,
        # The announcement feeds do not mark the primary category; they list it first.
        primary_category=categories[0] if categories else "",
        categories=categories,
        abstract=clean_text(description[header.end():] if header else description),
        published=announced,
        updated=announced,
        journal_ref=clean_line(entry.get("arxiv_journal_reference") or entry.get("arxiv_journal_ref")),
        doi=clean_line(entry.get("arxiv_doi")),
        license=clean_line(entry.get("rights")),
        other_classes=other_classes,
        announce_type=announce_type,
        announced=announced,
    )


def _rdf_paper(entry, feed_date, position: int) -> FeedPaper:
    raw_title = clean_line(entry.get("title"))
    suffix = _RDF_TITLE_RE.search(raw_title)
    if not suffix:
        raise FeedError(f"item {position} has no arXiv id in its title {raw_title[:80]!r}")
    arxiv_id, version = split_arxiv_id(suffix["ref"])
    primary = suffix["primary"].strip()
    announced = _announced(entry, ("updated", "published"), feed_date, position, arxiv_id)
    return FeedPaper(
        arxiv_id=arxiv_id,
        version=version or 1,
        title=raw_title[: suffix.start()].rstrip().removesuffix("."),
        authors=_split_author_list(html.unescape(html_to_text(entry.get("author", "")))),
        primary_category=primary,
        categories=(primary,),
        abstract=clean_text(html_to_text(entry.get("summary", ""))),
        published=announced,
        updated=announced,
        announce_type=_RDF_ANNOUNCE_TYPES[suffix["flag"]],
        announced=announced,
    )
