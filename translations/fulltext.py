"""The paper's own text, for grounding drafts: arXiv's HTML rendering, else the PDF, else the abstract.

Extraction drops the references, is cached per paper version (PaperText), and is
cut to DIGEST_FULLTEXT_CHARS. Failures never raise: they end in the abstract,
with a note saying why.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.conf import settings
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from papers.arxiv_client import ArxivClient, ArxivHTTPError
from translations.models import PaperText

logger = logging.getLogger(__name__)

# Less than this much text from an HTML page means it is not the paper (arXiv's "no HTML" page).
MIN_HTML_TEXT = 2000
_SKIPPED_TAGS = {"script", "style", "nav", "header", "footer", "button", "annotation", "annotation-xml", "svg"}
_BLOCK_TAGS = {"p", "div", "section", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "figcaption", "table", "br", "article"}
_REFERENCES_HEADING_RE = re.compile(r"^\s*(?:\d+\.?\s*|[IVX]+\.\s*)?(references|bibliography|参考文献)\s*$", re.I | re.M)


@dataclass(frozen=True)
class SourceText:
    kind: str  # "html", "pdf" or "abstract"
    text: str
    note: str  # why the abstract was used, or ""


def _normalise(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _PaperHTMLText(HTMLParser):
    """Text of a LaTeXML page: skips navigation, scripts, math markup and the bibliography."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        skip = (
            tag in _SKIPPED_TAGS
            or "ltx_bibliography" in classes
            or "ltx_page_footer" in classes
            or attributes.get("role") == "navigation"
            or attributes.get("aria-hidden") == "true"
        )
        if tag == "math":
            # Keep formulas as their LaTeX source, which arXiv puts in alttext.
            self.parts.append(f" {attributes.get('alttext', '')} ")
            skip = True
        if tag in ("br", "img", "meta", "link", "input", "hr"):
            if tag == "br":
                self.parts.append("\n")
            return
        self._stack.append((tag, skip))
        if skip:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS and not self._skip_depth:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, skip = self._stack.pop()
            if skip:
                self._skip_depth -= 1
            if open_tag == tag:
                break
        if tag in _BLOCK_TAGS and not self._skip_depth:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip_depth:
            self.parts.append(data)


def html_to_paper_text(html: bytes | str) -> str:
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    parser = _PaperHTMLText()
    parser.feed(html)
    parser.close()
    return _drop_references(_normalise("".join(parser.parts)))


def _drop_references(text: str) -> str:
    """Cut at the last "References" heading line, unless it comes too early to be the end matter."""
    headings = list(_REFERENCES_HEADING_RE.finditer(text))
    if not headings:
        return text
    cut = headings[-1].start()
    return text[:cut].rstrip() if cut > len(text) * 0.3 else text


def pdf_to_paper_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() or "" for page in reader.pages]
    return _drop_references(_normalise("\n\n".join(pages)))


def cut_to_budget(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    marker = f"\n\n[… text cut to {budget} characters …]"
    head = text[:budget]
    boundary = max(head.rfind("\n\n"), head.rfind("。"), head.rfind(". "))
    if boundary > budget * 0.5:
        head = head[: boundary + 1]
    return head.rstrip() + marker


def _fetch_full_text(paper, client: ArxivClient) -> tuple[str, str, str]:
    """(kind, text, note): try the HTML rendering, then the PDF."""
    versioned = f"{paper.arxiv_id}v{paper.version}"
    problems = []
    try:
        text = html_to_paper_text(client.get(f"{settings.ARXIV_HTML_URL.rstrip('/')}/{versioned}"))
        if len(text) >= MIN_HTML_TEXT:
            return PaperText.Kind.HTML, text, ""
        problems.append(f"no HTML rendering (only {len(text)} characters of text)")
    except ArxivHTTPError as exc:
        problems.append(f"no HTML rendering (HTTP {exc.status})" if exc.status else f"HTML not fetched: {exc}")
    try:
        text = pdf_to_paper_text(client.get(f"{settings.ARXIV_PDF_URL.rstrip('/')}/{versioned}"))
        if text:
            return PaperText.Kind.PDF, text, ""
        problems.append("the PDF has no extractable text")
    except ArxivHTTPError as exc:
        problems.append(f"no PDF (HTTP {exc.status})" if exc.status else f"PDF not fetched: {exc}")
    except (PyPdfError, ValueError, OSError) as exc:
        problems.append(f"PDF unreadable: {exc.__class__.__name__}: {exc}")
    return PaperText.Kind.NONE, "", "; ".join(problems)


def paper_source_text(*, paper, client: ArxivClient | None = None) -> SourceText:
    """The text a draft of `paper` is grounded in (cached per version; never raises for arXiv's sake)."""
    if not settings.DIGEST_FULLTEXT:
        return SourceText("abstract", paper.abstract, "full text disabled (DIGEST_FULLTEXT)")
    cached = PaperText.objects.filter(paper=paper, paper_version=paper.version).first()
    if cached is None:
        owns_client = client is None
        client = client or ArxivClient()
        try:
            kind, text, note = _fetch_full_text(paper, client)
        finally:
            if owns_client:
                client.close()
        cached, _ = PaperText.objects.update_or_create(
            paper=paper, paper_version=paper.version, defaults={"kind": kind, "text": text, "note": note}
        )
    if cached.kind == PaperText.Kind.NONE:
        return SourceText("abstract", paper.abstract, cached.note)
    return SourceText(cached.kind, cut_to_budget(cached.text, settings.DIGEST_FULLTEXT_CHARS), "")
