"""A paper's full text for drafting: arXiv HTML, else the PDF, else the abstract, over real HTTP (tests.local_server)."""

import datetime as dt
import io
import socket

import pytest
from pypdf import PdfReader

from papers.arxiv_client import ArxivClient
from papers.models import Paper
from tests.local_server import Reply
from translations.fulltext import SourceText, cut_to_budget, html_to_paper_text, paper_source_text, pdf_to_paper_text
from translations.models import PaperText

ABSTRACT = "Audio-language models classify sounds zero-shot; weighting prompts by entropy adds up to 1.4% accuracy."
HTML = {"Content-Type": "text/html; charset=utf-8"}
PDF = {"Content-Type": "application/pdf"}
TEXT = {"Content-Type": "text/plain"}


# --- builders ------------------------------------------------------------------------------


def make_paper(arxiv_id: str = "2601.05011", version: int = 1) -> Paper:
    published = dt.datetime(2026, 1, 8, 10, tzinfo=dt.UTC)
    return Paper.objects.create(
        arxiv_id=arxiv_id, version=version, title="Leveraging Prediction Entropy for Prompt Weighting",
        authors=[{"name": "Karim El Khoury", "affiliations": []}], primary_category="cs.SD", categories=["cs.SD"],
        abstract=ABSTRACT, published=published, updated=published,
    )


def pdf_with_pages(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, pages in order, exact xref offsets."""

    def pdf_string(line: str) -> str:
        return "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    kids = []
    for index, lines in enumerate(pages):
        page_id, content_id = 4 + 2 * index, 5 + 2 * index
        kids.append(f"{page_id} 0 R")
        content = ("BT /F1 10 Tf 12 TL 50 780 Td " + " ".join(f"{pdf_string(line)} Tj T*" for line in lines) + " ET")
        content_bytes = content.encode("cp1252")
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
            f" /Contents {content_id} 0 R >>"
        ).encode()
        objects[content_id] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content_bytes), content_bytes)
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()

    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[number] for number in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_at)
    return bytes(out)


# Over 2,000 characters of body, with numbers to find again, "references" in running text, then the list.
BODY_LINES = [
    "Entropy-Weighted Prompt Ensembles for Zero-Shot Audio Classification",
    "1 Introduction",
    "Prompt wording follows the references listed by earlier work on CLAP (see References 3 and 4).",
    "We evaluate on five datasets with 1,700 hours of audio in total.",
    "Entropy weighting improves the mean accuracy from 82.3% to 83.7% over uniform ensembles.",
    *(
        f"Fold {n} of 30: accuracy {70 + n}.4% with entropy weights against {69 + n}.9% with uniform weights."
        for n in range(1, 31)
    ),
]
REFERENCE_LINES = [
    "References",
    "[1] B. Elizalde et al. CLAP: learning audio concepts from natural language supervision. ICASSP 2023.",
    "[2] K. J. Piczak. ESC: dataset for environmental sound classification. ACM MM 2015.",
]
PAPER_PDF_PAGES = [
    BODY_LINES[:20],
    BODY_LINES[20:] + ["5 Conclusion", "Weighting prompts costs nothing."] + REFERENCE_LINES,
]


@pytest.fixture
def latexml_page(own_data) -> bytes:
    return (own_data / "fulltext_latexml.html").read_bytes()


@pytest.fixture
def no_html_page(own_data) -> bytes:
    return (own_data / "fulltext_no_html.html").read_bytes()


@pytest.fixture
def arxiv(settings, local_server):
    """Full text on, with arXiv's HTML and PDF hosts pointed at the local server."""
    settings.DIGEST_FULLTEXT = True
    settings.DIGEST_FULLTEXT_CHARS = 60000
    settings.ARXIV_HTML_URL = f"{local_server.url}/html"
    settings.ARXIV_PDF_URL = f"{local_server.url}/pdf"
    return local_server


@pytest.fixture
def client():
    with ArxivClient(delay=0, retries=0, timeout=5) as arxiv_client:
        yield arxiv_client


def paths(server) -> list[str]:
    return [request.path for request in server.requests]


# --- HTML ----------------------------------------------------------------------------------


def test_html_extraction_keeps_sections_and_numbers_and_drops_references_and_page_furniture(latexml_page):
    text = html_to_paper_text(latexml_page)
    lines = text.splitlines()

    assert lines[0] == "Leveraging Prediction Entropy for Prompt Weighting"
    assert text.count("Leveraging Prediction Entropy for Prompt Weighting") == 1  # not again from <title>
    for heading in ["1 Introduction", "2 Method", "3 Results", "4 Conclusion", "Appendix A Prompt list"]:
        assert heading in lines
    assert "from 82.3% to 83.7% over uniform ensembles" in text and "1,700 hours" in text
    assert "Method | ESC-50 | US8K" in lines and "Entropy-weighted | 92.6 | 79.5" in lines
    assert "without any training example [1]. The accuracy" in text  # paragraphs read as prose
    assert "negligible cost of O(NK) for N clips and K prompts." in text  # formulas once, as TeX
    assert "All 24 prompt templates" in text  # the appendix after the bibliography stays

    for dropped in [
        "REFERENCE-ONE", "REFERENCE-TWO", "NAV-TOC", "HEADER-LOGO", "FOOTER-LOGO", "PACKAGE-ALERT",
        "ANNOTATION", "REPORT_BUTTON", "bootstrap", ".ltx_page_main", "\\citeauthor",
    ]:
        assert dropped not in text
    assert "References" not in lines
    assert all(line == line.strip() and "  " not in line for line in lines)
    assert "\n\n\n" not in text


def test_a_references_section_latexml_did_not_mark_is_dropped_but_what_follows_stays():
    page = """<article>
    <section><h2>5 Conclusion</h2><p>Entropy weights help by 1.4 points.</p></section>
    <section><h2><span class="ltx_tag">6 </span>References</h2><ol><li>A. Author. A cited paper. 2019.</li></ol></section>
    <section><h2>A Extra results</h2><p>On US8K the gain is 0.6 points.</p></section>
    <p>Our references are public.</p>
    </article>"""
    text = html_to_paper_text(page)
    assert "A cited paper" not in text and "References" not in text
    assert "Entropy weights help by 1.4 points." in text and "On US8K the gain is 0.6 points." in text
    assert "Our references are public." in text


def test_a_latexml_bibliography_is_dropped_whatever_its_heading():
    page = """<article><section><h2>1 Einleitung</h2><p>Der Gewinn betr&auml;gt 1,4 Punkte.</p></section>
    <section class="ltx_bibliography"><h2>Literatur</h2><ul><li>A. Autor. Ein zitierter Aufsatz. 2019.</li></ul></section>
    </article>"""
    assert html_to_paper_text(page) == "1 Einleitung\n\nDer Gewinn beträgt 1,4 Punkte."


def test_a_formula_without_alttext_keeps_its_visible_text_but_not_its_annotation():
    page = """<p>A gain of <math><semantics><mrow><mn>1.4</mn><mo>%</mo></mrow>
    <annotation encoding="application/x-tex">1.4\\%</annotation></semantics></math> in total.</p>"""
    assert html_to_paper_text(page) == "A gain of 1.4% in total."


def test_broken_pages_give_their_text_and_no_error():
    # Cut off mid-page, stray and unclosed tags, bytes that are not UTF-8, a NUL, void elements in a row.
    page = (b"<article><section><h2>1 Intro</h2><p>First <b>bold</i> line.<br>Second\x00 line."
            b"</span><img src=x><p>Caf\xe9 ends</section><section><h2>2 Method</h2><table><tr><td>a<td>b")
    text = html_to_paper_text(page)
    assert text.splitlines() == ["1 Intro", "", "First bold line.", "", "Second line.", "", "Caf\ufffd ends", "",
                                 "2 Method", "", "a | b"]
    assert html_to_paper_text(b"") == "" and html_to_paper_text("  \n ") == ""
    assert html_to_paper_text("just text, no tags") == "just text, no tags"


def test_arxivs_no_html_page_yields_little_text(no_html_page):
    assert len(html_to_paper_text(no_html_page)) < 2000


# --- PDF -----------------------------------------------------------------------------------


def test_the_hand_written_pdf_is_a_valid_pdf_pypdf_reads():
    reader = PdfReader(io.BytesIO(pdf_with_pages(PAPER_PDF_PAGES)), strict=True)
    assert len(reader.pages) == 2
    assert "from 82.3% to 83.7%" in reader.pages[0].extract_text()
    assert "Piczak" in reader.pages[1].extract_text()


def test_pdf_extraction_keeps_the_body_and_drops_everything_from_the_references_heading():
    text = pdf_to_paper_text(pdf_with_pages(PAPER_PDF_PAGES))
    assert "Entropy weighting improves the mean accuracy from 82.3% to 83.7% over uniform ensembles." in text
    assert "1,700 hours" in text and "Fold 30 of 30: accuracy 100.4%" in text
    assert "Weighting prompts costs nothing." in text
    # "references" and "References" in running text are not the heading
    assert "follows the references listed by earlier work on CLAP (see References 3 and 4)." in text
    assert "Piczak" not in text and "Elizalde" not in text
    assert text.endswith("Weighting prompts costs nothing.")
    assert len(text) > 2000


def test_a_references_heading_near_the_start_of_a_pdf_does_not_drop_the_paper():
    contents = ["Contents", "1 Introduction", "References"]
    text = pdf_to_paper_text(pdf_with_pages([contents + BODY_LINES[:20], BODY_LINES[20:] + REFERENCE_LINES]))
    assert text.startswith("Contents\n1 Introduction\nReferences\n")
    assert "Fold 30 of 30" in text and "Piczak" not in text


def test_bytes_that_are_not_a_pdf_are_refused():
    with pytest.raises(ValueError, match="not a PDF"):
        pdf_to_paper_text(b"<!DOCTYPE html><html><body>Access denied</body></html>")


# --- budget --------------------------------------------------------------------------------


def test_text_within_the_budget_is_left_alone():
    assert cut_to_budget("One sentence.", 13) == "One sentence."


def test_the_cut_falls_on_a_paragraph_boundary_and_is_marked():
    paragraphs = [f"Paragraph {n} says that the gain is {n}.5 points on fold {n}." for n in range(200)]
    text = "\n\n".join(paragraphs)
    cut = cut_to_budget(text, 1000)
    kept, marker = cut.rsplit("\n\n", 1)
    assert marker == "[… text cut to 1000 characters …]"
    assert len(kept) <= 1000 and text.startswith(kept + "\n\n")  # whole paragraphs only
    assert len(kept) > 900  # the last paragraph boundary, not an early one
    assert len(cut) <= 1000 + len("\n\n" + marker)


def test_without_paragraphs_the_cut_falls_after_a_sentence():
    text = " ".join(f"Sentence {n} reports {n}.25 percent." for n in range(100))
    kept = cut_to_budget(text, 500).rsplit("\n\n", 1)[0]
    assert len(kept) <= 500 and kept.endswith("percent.") and text.startswith(kept)


# --- paper_source_text -----------------------------------------------------------------------


@pytest.mark.django_db
def test_html_rendering_is_used_and_stored(arxiv, client, latexml_page):
    paper = make_paper()
    arxiv.queue.append(Reply(200, latexml_page, HTML))

    source = paper_source_text(paper=paper, client=client)

    assert source.kind == "html" and source.note == ""
    assert "from 82.3% to 83.7%" in source.text and "REFERENCE-ONE" not in source.text
    assert paths(arxiv) == ["/html/2601.05011v1"]
    stored = PaperText.objects.get(paper=paper, paper_version=1)
    assert (stored.kind, stored.text, stored.note) == ("html", source.text, "")


@pytest.mark.django_db
def test_without_an_html_rendering_the_pdf_is_used(arxiv, client):
    paper = make_paper()
    arxiv.queue += [Reply(404, b"Not Found", TEXT), Reply(200, pdf_with_pages(PAPER_PDF_PAGES), PDF)]

    source = paper_source_text(paper=paper, client=client)

    assert source.kind == "pdf" and source.note == ""
    assert "from 82.3% to 83.7%" in source.text and "Piczak" not in source.text
    assert paths(arxiv) == ["/html/2601.05011v1", "/pdf/2601.05011v1"]
    assert PaperText.objects.get(paper=paper).kind == "pdf"


@pytest.mark.django_db
def test_arxivs_short_no_html_page_counts_as_no_html(arxiv, client, no_html_page):
    paper = make_paper()
    arxiv.queue += [Reply(200, no_html_page, HTML), Reply(200, pdf_with_pages(PAPER_PDF_PAGES), PDF)]

    source = paper_source_text(paper=paper, client=client)

    assert source.kind == "pdf" and "No HTML for" not in source.text
    assert paths(arxiv) == ["/html/2601.05011v1", "/pdf/2601.05011v1"]


@pytest.mark.django_db
def test_when_html_and_pdf_both_fail_the_abstract_is_used_with_a_note_naming_both(arxiv, client):
    paper = make_paper()
    arxiv.queue += [Reply(404, b"Not Found", TEXT), Reply(500, b"Internal Server Error", TEXT)]

    source = paper_source_text(paper=paper, client=client)

    assert source == SourceText("abstract", ABSTRACT, "no HTML rendering (HTTP 404); PDF not fetched (HTTP 500)")
    # A 500 may be an outage: not remembered, so the next draft tries again (and gets the PDF).
    assert not PaperText.objects.exists()
    arxiv.queue += [Reply(404, b"Not Found", TEXT), Reply(200, pdf_with_pages(PAPER_PDF_PAGES), PDF)]
    assert paper_source_text(paper=paper, client=client).kind == "pdf"


@pytest.mark.django_db
def test_lasting_failures_are_remembered_and_not_asked_again(arxiv, client):
    paper = make_paper()
    arxiv.queue += [Reply(404, b"Not Found", TEXT), Reply(404, b"Not Found", TEXT)]

    first = paper_source_text(paper=paper, client=client)
    second = paper_source_text(paper=paper, client=client)

    assert first == second and first.note == "no HTML rendering (HTTP 404); PDF not fetched (HTTP 404)"
    stored = PaperText.objects.get(paper=paper, paper_version=1)
    assert (stored.kind, stored.text, stored.note) == ("none", "", first.note)
    assert len(arxiv.requests) == 2


@pytest.mark.django_db
def test_an_unreadable_pdf_ends_in_the_abstract_with_a_note(arxiv, client):
    paper = make_paper()
    arxiv.queue += [Reply(404, b"Not Found", TEXT), Reply(200, b"\x8f\x00garbage, not a PDF\xff" * 50, PDF)]

    source = paper_source_text(paper=paper, client=client)

    assert source.kind == "abstract" and source.text == ABSTRACT
    assert source.note == "no HTML rendering (HTTP 404); PDF unreadable: ValueError: not a PDF file"
    assert "\n" not in source.note


@pytest.mark.django_db
def test_a_damaged_pdf_ends_in_the_abstract_with_a_note(arxiv, client):
    paper = make_paper()
    damaged = pdf_with_pages(PAPER_PDF_PAGES)[:300]  # header and first objects, no xref, no trailer
    arxiv.queue += [Reply(404, b"Not Found", TEXT), Reply(200, damaged, PDF)]

    source = paper_source_text(paper=paper, client=client)

    assert source.kind == "abstract"
    assert source.note.startswith("no HTML rendering (HTTP 404); PDF unreadable: ")


@pytest.mark.django_db
def test_when_arxiv_cannot_be_reached_the_abstract_is_used(settings, client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DIGEST_FULLTEXT = True
    settings.ARXIV_HTML_URL = f"http://127.0.0.1:{port}/html"
    settings.ARXIV_PDF_URL = f"http://127.0.0.1:{port}/pdf"

    source = paper_source_text(paper=make_paper(), client=client)

    assert source.kind == "abstract"
    assert source.note.startswith("no HTML rendering (arXiv connection failed (ConnectError")
    assert "; PDF not fetched (arXiv connection failed (ConnectError" in source.note


@pytest.mark.django_db
def test_the_stored_full_text_is_reused_without_asking_arxiv_again(arxiv, client, latexml_page):
    paper = make_paper()
    arxiv.queue.append(Reply(200, latexml_page, HTML))
    first = paper_source_text(paper=paper, client=client)

    assert paper_source_text(paper=paper, client=client) == first
    assert paper_source_text(paper=paper) == first  # a client of its own would not be used either
    assert paths(arxiv) == ["/html/2601.05011v1"]


@pytest.mark.django_db
def test_a_failure_is_stored_too_so_arxiv_is_not_asked_again(arxiv, client):
    paper = make_paper()
    arxiv.handler = lambda request: Reply(404, b"Not Found", TEXT)
    first = paper_source_text(paper=paper, client=client)

    again = paper_source_text(paper=paper, client=client)

    assert again == first and again.kind == "abstract" and "HTTP 404" in again.note
    assert len(arxiv.requests) == 2 and PaperText.objects.count() == 1


@pytest.mark.django_db
def test_a_new_version_of_the_paper_is_fetched_again(arxiv, client, latexml_page):
    paper = make_paper()
    arxiv.handler = lambda request: Reply(404, b"Not Found", TEXT)
    paper_source_text(paper=paper, client=client)
    arxiv.handler = lambda request: Reply(200, latexml_page, HTML)
    paper.version = 2
    paper.save()

    assert paper_source_text(paper=paper, client=client).kind == "html"
    assert paths(arxiv)[-1] == "/html/2601.05011v2"
    assert sorted(PaperText.objects.values_list("paper_version", "kind")) == [(1, "none"), (2, "html")]


@pytest.mark.django_db
def test_full_text_is_cut_to_the_budget_but_stored_whole(arxiv, client, settings, latexml_page):
    settings.DIGEST_FULLTEXT_CHARS = 1000
    paper = make_paper()
    arxiv.queue.append(Reply(200, latexml_page, HTML))

    source = paper_source_text(paper=paper, client=client)

    marker = "\n\n[… text cut to 1000 characters …]"
    assert source.kind == "html" and source.text.endswith(marker)
    assert len(source.text) <= 1000 + len(marker)
    stored = PaperText.objects.get(paper=paper).text
    assert len(stored) > 2000 and stored.startswith(source.text.removesuffix(marker))


@pytest.mark.django_db
def test_with_full_text_switched_off_arxiv_is_not_asked(arxiv, client, settings):
    settings.DIGEST_FULLTEXT = False
    paper = make_paper()

    source = paper_source_text(paper=paper, client=client)

    assert source == SourceText("abstract", ABSTRACT, "full text disabled (DIGEST_FULLTEXT)")
    assert arxiv.requests == [] and not PaperText.objects.exists()


@pytest.mark.django_db
def test_old_style_ids_keep_their_archive_in_the_url(arxiv, client):
    paper = make_paper(arxiv_id="hep-th/9901001", version=3)
    arxiv.handler = lambda request: Reply(404, b"Not Found", TEXT)

    paper_source_text(paper=paper, client=client)

    assert paths(arxiv) == ["/html/hep-th/9901001v3", "/pdf/hep-th/9901001v3"]
