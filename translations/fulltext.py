"""The text a machine draft is grounded in: the paper's full text, else its abstract.

Full text comes from arXiv's HTML rendering (LaTeXML) when the paper has one, else from
its PDF; references are dropped, and the result is cached per paper version in `PaperText`
(also when neither source worked, so arXiv is asked once per version).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

import httpx
from django.conf import settings

from papers.arxiv_client import ArxivClient, ArxivHTTPError, arxiv_client_kept
from papers.models import Paper
from translations.models import MachineDraft, PaperText

logger = logging.getLogger(__name__)

# Less text than this is not a paper: arXiv's "no HTML for this paper" page, a failed
# conversion, or a scanned PDF without a text layer.
MIN_FULL_TEXT_CHARS = 2000


@dataclass(frozen=True)
class SourceText:
    kind: str  # "html", "pdf" or "abstract"
    text: str  # what the LLM gets: full text (references dropped, cut to the budget) or the abstract
    note: str  # why the abstract was used, or ""


# --- Plain text ----------------------------------------------------------------------------

# Control characters (PostgreSQL refuses NUL) and lone surrogates (not encodable), as PDFs yield them.
_UNSTORABLE_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
# Invisible math operators (function application, invisible times, …) and zero-width spaces.
_INVISIBLE_RE = re.compile(r"[\u200b-\u200d\u2060-\u2064\ufeff]")
_SPACES_RE = re.compile(r"[^\S\n]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
# A references heading once spaces are removed: "References", "7 References", "VII. REFERENCES",
# and "R EFERENCES" as small capitals come out of some PDFs. Capitalised only: "references" in lower
# case is running text.
_REFERENCES_HEADING_RE = re.compile(r"(?:\d+|[IVX]+)?\.?(?:References|REFERENCES|Bibliography|BIBLIOGRAPHY)")


def _normalise_whitespace(text: str) -> str:
    """One space between words, no spaces around lines, at most one blank line in a row."""
    text = _INVISIBLE_RE.sub("", _UNSTORABLE_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def _is_references_heading(line: str) -> bool:
    return _REFERENCES_HEADING_RE.fullmatch("".join(line.split())) is not None


# --- HTML ----------------------------------------------------------------------------------

_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
}
# Page furniture, code and pictures; MathML annotations repeat the formula's TeX (kept once, from alttext).
_SKIPPED_TAGS = {
    "head", "script", "style", "noscript", "template", "nav", "header", "footer", "form", "button", "svg",
    "annotation", "annotation-xml",
}
_SKIPPED_CLASSES = {
    "ltx_bibliography",
    "ltx_TOC",
    "ltx_page_navbar",
    "ltx_page_header",
    "ltx_page_footer",
    "ltx_ERROR",  # LaTeXML's rendering of a macro it did not know: the macro's name
    "package-alerts",  # arXiv's banner listing the LaTeX packages the conversion did not support
}
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "main", "ol", "p", "pre", "section", "table", "ul",
}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass
class _OpenElement:
    tag: str
    skipped: bool
    start: int  # how many chunks had been written when the element opened
    drop_when_closed: bool = False
    void: bool = False  # lxml ends void elements (br, img, …) too: they write nothing when they end


class _LatexmlText:
    """Writes the readable text of a LaTeXML page as chunks: blocks apart, table cells ` | `-separated.

    A parser target of lxml's: libxml2 reads the HTML (in C, about ten times faster than Python's
    `HTMLParser`, which took 90 ms of a 200 KiB page's draft) and calls `start`, `end` and `data`."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self._open: list[_OpenElement] = []
        self._skipping = 0  # open elements whose content is dropped
        self._rows: list[bool] = []  # one per open table row: has it had text yet
        self._cell_separator_due = False

    def start(self, tag: str, attributes) -> None:
        if tag in _VOID_TAGS:
            if tag in ("br", "hr") and not self._skipping:
                self._break()
            self._open.append(_OpenElement(tag, skipped=False, start=len(self.chunks), void=True))
            return
        alttext = attributes.get("alttext") if tag == "math" else None
        css_class = attributes.get("class")
        skipped = bool(alttext) or tag in _SKIPPED_TAGS or bool(css_class and _SKIPPED_CLASSES.intersection(
            css_class.split()))
        if not self._skipping:
            if alttext:
                self._write(alttext)
            elif not skipped:
                self._open_block(tag)
        self._open.append(_OpenElement(tag, skipped, start=len(self.chunks)))
        if skipped:
            self._skipping += 1

    def end(self, tag: str) -> None:
        if not any(element.tag == tag for element in self._open):
            return  # stray end tag
        while True:
            element = self._open.pop()
            if not element.void:
                self._close(element)
            if element.tag == tag:
                return

    def data(self, data: str) -> None:
        if not self._skipping:
            self._write(data)

    def close(self) -> list[str]:
        while self._open:  # a truncated page
            element = self._open.pop()
            if not element.void:
                self._close(element)
        return self.chunks

    def _open_block(self, tag: str) -> None:
        if tag == "tr":
            self.chunks.append("\n")
            self._rows.append(False)
        elif tag in ("td", "th"):
            self._cell_separator_due = bool(self._rows and self._rows[-1])
        elif tag in _BLOCK_TAGS:
            self._break()

    def _close(self, element: _OpenElement) -> None:
        if element.skipped:
            self._skipping -= 1
            return
        if self._skipping:
            return
        if element.tag == "tr" and self._rows:
            self._rows.pop()
            self._cell_separator_due = False
        if element.tag in _HEADING_TAGS and _is_references_heading("".join(self.chunks[element.start :])):
            # A references section LaTeXML did not mark as one (a hand-made list under that heading).
            section = next((open_ for open_ in reversed(self._open) if open_.tag == "section"), None)
            if section is not None:
                section.drop_when_closed = True
        if element.drop_when_closed:
            del self.chunks[element.start :]
        if element.tag in _BLOCK_TAGS:
            self._break()

    def _write(self, text: str) -> None:
        text = text.replace("\n", " ")
        if self._rows and text.strip():
            if self._cell_separator_due:
                self.chunks.append(" | ")
                self._cell_separator_due = False
            self._rows[-1] = True
        self.chunks.append(text)

    def _break(self) -> None:
        # Inside a table row a block only separates words: the row stays one line.
        self.chunks.append(" " if self._rows else "\n\n")


def html_to_paper_text(html: bytes | str) -> str:
    """The readable text of an arXiv (LaTeXML) HTML page, without references or page furniture.

    Headings and paragraphs stand on their own lines, a table row on one line; a formula
    is written as its TeX (the `alttext` of `<math>`).
    """
    from lxml import etree  # here, not at the top: only full-text drafting needs it (tests/test_start_up.py)

    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")  # LaTeXML always writes UTF-8; bad bytes become U+FFFD
    if not html.strip():
        return ""
    parser = etree.HTMLParser(target=_LatexmlText(), encoding="utf-8", no_network=True)
    page = html.replace("\x00", "").encode("utf-8")  # libxml2 would make a NUL a U+FFFD in the text
    return _normalise_whitespace("".join(etree.fromstring(page, parser)))


# --- PDF -----------------------------------------------------------------------------------

# A references heading this early is a table of contents or a title, not the end of the paper.
_EARLIEST_REFERENCES_SHARE = 0.2


def _drop_references(text: str) -> str:
    """Everything before the first references heading line past the paper's first fifth."""
    earliest = int(len(text) * _EARLIEST_REFERENCES_SHARE)
    for line in re.finditer(r"^.+$", text, flags=re.MULTILINE):
        if line.start() >= earliest and _is_references_heading(line.group()):
            return text[: line.start()].rstrip()
    return text


def pdf_to_paper_text(pdf: bytes) -> str:
    """The text pypdf extracts from a paper's PDF, from the references heading on dropped.

    Raises ValueError for bytes that are not a PDF, and whatever pypdf raises for a broken one.
    """
    if b"%PDF-" not in pdf[:1024]:  # the header may follow up to 1 KiB of junk
        raise ValueError("not a PDF file")
    from pypdf import PdfReader  # here, not at the top: only a paper without HTML needs it, and it is slow to import

    reader = PdfReader(io.BytesIO(pdf))
    text = _normalise_whitespace("\n\n".join(page.extract_text() or "" for page in reader.pages))
    return _drop_references(text)


# --- Budget --------------------------------------------------------------------------------

_SENTENCE_END_RE = re.compile(r"[.!?](?=\s)|[。！？]")


def cut_to_budget(text: str, budget: int) -> str:
    """`text` if it fits in `budget` characters, else its start, cut where a paragraph or a sentence ends.

    The cut is marked by a line of its own; a boundary is only used if it keeps at least
    half the budget (else a line break or a space, else the exact character).
    """
    if len(text) <= budget:
        return text
    window = text[:budget]
    half = budget // 2
    cut = window.rfind("\n\n")
    if cut < half:
        sentence_ends = [match.end() for match in _SENTENCE_END_RE.finditer(window)]
        cut = sentence_ends[-1] if sentence_ends else -1
    if cut < half:
        cut = max(window.rfind("\n"), window.rfind(" "))
    if cut <= 0:
        cut = budget
    return f"{text[:cut].rstrip()}\n\n[… text cut to {budget} characters …]"


# --- Fetching ------------------------------------------------------------------------------


def _failure(exc: Exception) -> str:
    """One short line for the editor."""
    message = " ".join(str(exc).split())
    if isinstance(exc, ArxivHTTPError):
        return f"HTTP {exc.status}" if exc.status is not None else message[:300]
    return f"{exc.__class__.__name__}: {message}"[:300]


def _get(client: ArxivClient, url: str) -> bytes:
    try:
        return client.get(url)
    except httpx.HTTPError as exc:
        # The client turns timeouts and connection failures into ArxivHTTPError, but not
        # every httpx error (a redirect loop, a body that fails to decompress).
        raise ArxivHTTPError(f"arXiv request for {url} failed ({exc.__class__.__name__}: {exc})") from exc


def _is_passing(exc: ArxivHTTPError) -> bool:
    """An outage (network, timeout, 429, 5xx) rather than a lasting answer such as 404."""
    return exc.status is None or exc.status == 429 or exc.status >= 500


def _fetch_full_text(paper: Paper, client: ArxivClient) -> tuple[str, str, str, bool]:
    """(kind, text, note, lasting) from arXiv's HTML, else the PDF; kind "none" with the reasons if
    neither worked, and `lasting` false when an outage may be to blame (so it is not cached)."""
    problems: list[str] = []
    lasting = True
    # Old-style ids keep their slash: https://arxiv.org/html/hep-th/9901001v1.
    html_url = f"{settings.ARXIV_HTML_URL.rstrip('/')}/{paper.versioned_id}"
    try:
        text = html_to_paper_text(_get(client, html_url))
    except ArxivHTTPError as exc:
        problems.append(f"no HTML rendering ({_failure(exc)})")
        lasting = lasting and not _is_passing(exc)
    else:
        if len(text) >= MIN_FULL_TEXT_CHARS:
            return PaperText.Kind.HTML, text, "", True
        problems.append(f"no usable HTML ({len(text)} characters of text)")

    pdf_url = f"{settings.ARXIV_PDF_URL.rstrip('/')}/{paper.versioned_id}"
    try:
        pdf = _get(client, pdf_url)
    except ArxivHTTPError as exc:
        problems.append(f"PDF not fetched ({_failure(exc)})")
        lasting = lasting and not _is_passing(exc)
    else:
        try:
            text = pdf_to_paper_text(pdf)
        except Exception as exc:  # pypdf raises all sorts of errors on damaged files
            problems.append(f"PDF unreadable: {_failure(exc)}")
        else:
            if len(text) >= MIN_FULL_TEXT_CHARS:
                return PaperText.Kind.PDF, text, "", True
            problems.append(f"PDF has almost no text ({len(text)} characters; a scan?)")
    return PaperText.Kind.NONE, "", "; ".join(problems), lasting


def paper_source_text(*, paper: Paper, client: ArxivClient | None = None) -> SourceText:
    """The text to draft `paper` from: its full text cut to DIGEST_FULLTEXT_CHARS, else its abstract.

    Steps: unless full text is switched off, use the cached `PaperText` of this version,
    or fetch arXiv's HTML, then the PDF, and cache what came of it (also a lasting failure
    such as a 404; not an outage).
    Fetch failures never raise: they end in the abstract, with a note saying why.
    """
    if not settings.DIGEST_FULLTEXT:
        return SourceText(MachineDraft.TextSource.ABSTRACT, paper.abstract, "full text disabled (DIGEST_FULLTEXT)")
    paper_text = PaperText.objects.filter(paper=paper, paper_version=paper.version).first()
    if paper_text is None:
        kind, text, note, lasting = _fetch_full_text(paper, client or arxiv_client_kept())
        if kind == PaperText.Kind.NONE:
            logger.warning("no full text for %s: %s", paper.versioned_id, note)
            if not lasting:  # an outage: not remembered, the next draft tries again
                return SourceText(MachineDraft.TextSource.ABSTRACT, paper.abstract, note)
        # Another worker may have stored this version meanwhile; its row stands.
        paper_text, _ = PaperText.objects.get_or_create(
            paper=paper, paper_version=paper.version, defaults={"kind": kind, "text": text, "note": note}
        )
    if paper_text.kind == PaperText.Kind.NONE:
        return SourceText(MachineDraft.TextSource.ABSTRACT, paper.abstract, paper_text.note)
    return SourceText(paper_text.kind, cut_to_budget(paper_text.text, settings.DIGEST_FULLTEXT_CHARS), "")
