"""Tests of the pure feed parser `papers.feeds`.

Recorded arXiv payloads come from the `arxiv_payloads` fixture (tests/data/arxiv);
the small hand-written `feeds_*.xml` files come from `own_data`.
Expected values are read from the payloads themselves.
"""

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from papers.feeds import FeedAuthor, FeedError, FeedPaper, ParsedFeed, parse_feed, split_arxiv_id

API_2026_SEARCH = "api_atom_2026_search_all_testing_100entries.xml"
API_2016_SEARCH = "api_atom_2016_search_au_del_maestro_10of31.xml"
API_2017_PAGE0 = "api_atom_2017_search_deep_dream_page0.xml"
API_2017_PAGE1 = "api_atom_2017_search_deep_dream_page1.xml"
RSS2_FEED = "rss2_2026-09-24_cs.LG+cs.AI+cs.CL+stat.ML_trimmed4.xml"
RSS_ATOM_FEED = "rssatom_2026-09-25_cs.LG_trimmed3_abstracts_truncated.xml"

MOJIBAKE_MARKERS = ("Ã", "Â", "Î", "Ï")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def parse_file(folder: Path, name: str) -> ParsedFeed:
    return parse_feed((folder / name).read_bytes())


def paper_by_id(feed: ParsedFeed, arxiv_id: str) -> FeedPaper:
    matches = [paper for paper in feed.papers if paper.arxiv_id == arxiv_id]
    assert len(matches) == 1, f"{arxiv_id} appears {len(matches)} times"
    return matches[0]


def names(paper: FeedPaper) -> list[str]:
    return [author.name for author in paper.authors]


def assert_one_line_error(excinfo: pytest.ExceptionInfo[FeedError]) -> str:
    message = str(excinfo.value)
    assert message.strip()
    assert "\n" not in message and "\r" not in message
    return message


# --- split_arxiv_id -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0704.0001", ("0704.0001", None)),
        ("1412.7878v1", ("1412.7878", 1)),
        ("1501.00001", ("1501.00001", None)),
        ("2601.05011v2", ("2601.05011", 2)),
        ("http://arxiv.org/abs/2409.05654v9", ("2409.05654", 9)),
        ("arXiv:2609.26811v1", ("2609.26811", 1)),
        ("oai:arXiv.org:2402.10149v3", ("2402.10149", 3)),
    ],
)
def test_split_arxiv_id_reads_new_style_ids(text, expected):
    assert split_arxiv_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("cond-mat/0412498v1", ("cond-mat/0412498", 1)),
        ("q-bio/0401001v12", ("q-bio/0401001", 12)),
        ("http://arxiv.org/abs/quant-ph/0201082v1", ("quant-ph/0201082", 1)),
        # The subject class is not part of the identifier: one paper, one id.
        ("math.AG/0601001", ("math/0601001", None)),
        ("https://arxiv.org/abs/math.AG/0601001v2", ("math/0601001", 2)),
    ],
)
def test_split_arxiv_id_reads_old_style_ids_with_and_without_subject_class(text, expected):
    assert split_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not an identifier",
        "1234.567",
        "hep-th/99001",
        "HEP-TH/9901001",
        # Longer runs must not be cut down to some other, valid-looking id.
        "2601.123456",
        "12345.67890",
        "hep-th/99010011",
        "math.ag/0601001",
    ],
)
def test_split_arxiv_id_rejects_garbage_with_a_one_line_error(text):
    with pytest.raises(FeedError) as excinfo:
        split_arxiv_id(text)
    assert repr(text) in assert_one_line_error(excinfo)


# --- API, current format (2026) ------------------------------------------------------------------


def test_api_search_reports_paging_and_all_entries(arxiv_payloads):
    feed = parse_file(arxiv_payloads, API_2026_SEARCH)

    assert feed.format == "api"
    assert len(feed.papers) == 100
    assert feed.total_results == 214881
    assert feed.start_index == 0
    assert Counter(paper.version for paper in feed.papers) == {1: 64, 2: 21, 3: 10, 4: 3, 5: 1, 9: 1}
    assert sum(len(paper.categories) > 1 for paper in feed.papers) == 46
    assert all(paper.categories[0] == paper.primary_category for paper in feed.papers)


def test_api_entry_fields_are_parsed_exactly(arxiv_payloads):
    paper = parse_file(arxiv_payloads, API_2026_SEARCH).papers[0]

    assert paper == FeedPaper(
        arxiv_id="2202.12139",
        version=1,
        title="Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques",
        authors=(
            FeedAuthor("Mohit Kumar Ahuja"),
            FeedAuthor("Arnaud Gotlieb"),
            FeedAuthor("Helge Spieker"),
        ),
        primary_category="cs.SE",
        categories=("cs.SE", "cs.LG"),
        abstract=(
            "Deep Learning (DL) has revolutionized the capabilities of vision-based systems (VBS) in critical "
            "applications such as autonomous driving, robotic surgery, critical infrastructure surveillance, air "
            "and maritime traffic control, etc. By analyzing images, voice, videos, or any type of complex "
            "signals, DL has considerably increased the situation awareness of these systems. At the same time, "
            "while relying more and more on trained DL models, the reliability and robustness of VBS have been "
            "challenged and it has become crucial to test thoroughly these models to assess their capabilities "
            "and potential errors. To discover faults in DL models, existing software testing methods have been "
            "adapted and refined accordingly. In this article, we provide an overview of these software testing "
            "methods, namely differential, metamorphic, mutation, and combinatorial testing, as well as "
            "adversarial perturbation testing and review some challenges in their deployment for boosting "
            "perception systems used in VBS. We also provide a first experimental comparative study on a "
            "classical benchmark used in VBS and discuss its results."
        ),
        published=utc(2022, 2, 24, 15, 5, 19),
        updated=utc(2022, 2, 24, 15, 5, 19),
        comment="Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022",
        journal_ref=(
            "Artificial Intelligence in Software Testing @ 2022 IEEE International Conference on Software "
            "Testing, Verification and Validation Workshops (ICSTW)"
        ),
        doi="10.1109/ICSTW55395.2022.00035",
    )
    assert paper.published.utcoffset() == dt.timedelta(0)
    assert paper.updated.utcoffset() == dt.timedelta(0)


def test_api_ninth_version_is_read_from_the_id(arxiv_payloads):
    paper = paper_by_id(parse_file(arxiv_payloads, API_2026_SEARCH), "2409.05654")

    assert paper.version == 9
    assert paper.title == "Continuous Testing: Unifying Tests and E-values"
    assert paper.published == utc(2024, 9, 9, 14, 21, 19)
    assert paper.updated == utc(2025, 5, 8, 20, 52, 40)


@pytest.mark.parametrize(
    ("arxiv_id", "version", "categories"),
    [
        ("cs/0503050", 1, ("cs.SE",)),
        ("hep-ph/0301050", 2, ("hep-ph",)),
        ("gr-qc/0103067", 1, ("gr-qc",)),
    ],
)
def test_api_old_style_ids_are_split_from_their_version(arxiv_payloads, arxiv_id, version, categories):
    paper = paper_by_id(parse_file(arxiv_payloads, API_2026_SEARCH), arxiv_id)

    assert paper.version == version
    assert paper.categories == categories
    assert paper.primary_category == categories[0]


def test_api_mojibake_is_repaired(arxiv_payloads):
    raw = (arxiv_payloads / API_2026_SEARCH).read_bytes().decode("utf-8")
    assert "JosÃ© RaÃºl Romero" in raw and "$Î±$" in raw and "C. LÃ¤mmerzahl" in raw
    feed = parse_file(arxiv_payloads, API_2026_SEARCH)

    assert names(paper_by_id(feed, "2405.13786")) == [
        "Aurora Ramírez",
        "Mario Berrios",
        "José Raúl Romero",
        "Robert Feldt",
    ]
    abstract = paper_by_id(feed, "2403.16981").abstract
    assert "with type-I error at most $α$ and type-II error at most $β$" in abstract
    assert "with Bayes error at most $δ$ and prior distribution $(π, 1-π)$" in abstract
    assert "all $0 \\le α, β\\le 1/8$ in the prior-free setting" in abstract
    relativity = paper_by_id(feed, "gr-qc/0103067")
    assert names(relativity) == ["Mark P. Haugan", "C. Lämmerzahl"]
    assert "(C. Lämmerzahl, C.W.F. Everitt, F.W. Hehl eds.)" in relativity.comment
    for paper in feed.papers:
        texts = [paper.title, paper.abstract, paper.comment, paper.journal_ref, *names(paper)]
        assert not [text for text in texts for marker in MOJIBAKE_MARKERS if marker in text], paper.arxiv_id


def test_api_latex_is_kept_verbatim(arxiv_payloads):
    paper = paper_by_id(parse_file(arxiv_payloads, API_2026_SEARCH), "2106.13414")

    assert "over $\\{1, \\dots, n\\}$, is it $\\varepsilon_1$-close" in paper.abstract
    assert "the sample complexity is $Θ(\\sqrt{n})$, strongly sublinear" in paper.abstract
    assert (
        "\\[\\tilde Θ\\left(\\frac{\\sqrt{n}}{\\varepsilon_2^{2}} + \\frac{n}{\\log n} \\cdot \\max "
        "\\left\\{\\frac{\\varepsilon_1}{\\varepsilon_2^2},\\left(\\frac{\\varepsilon_1}{\\varepsilon_2^2}"
        "\\right)^{\\!\\!2}\\right\\}\\right),\\]"
    ) in paper.abstract
    assert names(paper) == ["Clément L. Canonne", "Ayush Jain", "Gautam Kamath", "Jerry Li"]


# --- API, legacy format (2016-2017) --------------------------------------------------------------


def test_api_legacy_search_reads_old_style_ids_and_versions(arxiv_payloads):
    feed = parse_file(arxiv_payloads, API_2016_SEARCH)

    assert (feed.format, len(feed.papers), feed.total_results, feed.start_index) == ("api", 10, 31, 0)
    assert [(paper.arxiv_id, paper.version) for paper in feed.papers] == [
        ("1201.4869", 1),
        ("cond-mat/0412498", 1),
        ("cond-mat/0603029", 1),
        ("1005.5383", 1),
        ("1303.6954", 2),
        ("1312.6177", 1),
        ("1412.6529", 2),
        ("cond-mat/0607501", 2),
        ("cond-mat/0702661", 2),
        ("0807.2873", 1),
    ]
    assert all(paper.doi and paper.comment and paper.journal_ref for paper in feed.papers)


def test_api_legacy_entry_fields_are_parsed_exactly(arxiv_payloads):
    paper = paper_by_id(parse_file(arxiv_payloads, API_2016_SEARCH), "cond-mat/0412498")

    assert paper == FeedPaper(
        arxiv_id="cond-mat/0412498",
        version=1,
        title="Thermal melting of density waves on the square lattice",
        authors=(FeedAuthor("Adrian Del Maestro"), FeedAuthor("Subir Sachdev")),
        primary_category="cond-mat.str-el",
        categories=("cond-mat.str-el", "cond-mat.stat-mech"),
        abstract=(
            'We present the theory of the effect of thermal fluctuations on commensurate "p x p" density wave '
            "ordering on the square lattice (p >= 3, integer). For the case in which this order is lost by a "
            "second order transition, we argue that the adjacent state is generically an incommensurate striped "
            "state, with commensurate p-periodic long range order along one direction, and incommensurate "
            "quasi-long-range order along the orthogonal direction. We also present the routes by which the "
            'fully disordered high temperature state can be reached. For p=4, and at special commensurate '
            'densities, the "4 x 4" commensurate state can melt directly into the disordered state via a '
            "self-dual critical point with non-universal exponents."
        ),
        published=utc(2004, 12, 19, 16, 18, 24),
        updated=utc(2004, 12, 19, 16, 18, 24),
        comment="12 pages, 5 figures",
        journal_ref="Physical Review B 71, 184511 (2005)",
        doi="10.1103/PhysRevB.71.184511",
    )


def test_api_legacy_hard_wrapped_abstracts_become_single_spaced_lines(arxiv_payloads):
    feed = parse_file(arxiv_payloads, API_2016_SEARCH)

    for paper in feed.papers:
        assert "\n" not in paper.abstract, paper.arxiv_id
        assert "  " not in paper.abstract, paper.arxiv_id
        assert paper.abstract == paper.abstract.strip(), paper.arxiv_id
    assert paper_by_id(feed, "cond-mat/0603029").title == (
        "From stripe to checkerboard order on the square lattice in the presence of quenched disorder"
    )
    assert paper_by_id(feed, "1201.4869").abstract.startswith(
        "As helium-4 is cooled below 2.17 K it undergoes a phase transition to a fundamentally new state"
    )


def test_api_legacy_wrapped_titles_become_one_line(arxiv_payloads):
    feed = parse_file(arxiv_payloads, API_2017_PAGE0)

    assert paper_by_id(feed, "1611.09520").title == (
        "Hierarchical Neural Representation of Dreamed Objects Revealed by Brain Decoding with Deep Neural "
        "Network Features"
    )
    dreaming = paper_by_id(feed, "1510.02795")
    assert dreaming.title == (
        "Dreaming More Data: Class-dependent Distributions over Diffeomorphisms for Learned Data Augmentation"
    )
    assert dreaming.journal_ref == (
        "Proceedings of the 19th International Conference on Artificial Intelligence and Statistics, "
        "pp. 342-350, 2016"
    )


def test_api_legacy_non_ascii_author_names_are_intact(arxiv_payloads):
    feed = parse_file(arxiv_payloads, API_2017_PAGE0)

    assert names(paper_by_id(feed, "1612.03659")) == [
        "Iris Hendrickx",
        "Louis Onrust",
        "Florian Kunneman",
        "Ali Hürriyetoğlu",
        "Antal van den Bosch",
        "Wessel Stoop",
    ]
    assert names(paper_by_id(feed, "1510.02795")) == [
        "Søren Hauberg",
        "Oren Freifeld",
        "Anders Boesen Lindbo Larsen",
        "John W. Fisher III",
        "Lars Kai Hansen",
    ]


def test_api_classification_codes_go_to_other_classes_not_categories(arxiv_payloads):
    feed = parse_file(arxiv_payloads, API_2017_PAGE0)

    mori = paper_by_id(feed, "1304.8005")
    assert (mori.primary_category, mori.categories, mori.other_classes) == ("math.AG", ("math.AG",), ("14C20, 14M99",))
    pipe_dreams = paper_by_id(feed, "0706.3031")
    assert pipe_dreams.categories == ("math.CO",)
    assert pipe_dreams.other_classes == ("05E99 (Primary), 05E05, 20B30 (Secondary)",)
    assert paper_by_id(feed, "1402.2297").categories == ("cs.SI", "physics.soc-ph")
    assert paper_by_id(feed, "1402.2297").other_classes == ()


def test_api_overlapping_pages_report_their_start_index(arxiv_payloads):
    page0 = parse_file(arxiv_payloads, API_2017_PAGE0)
    page1 = parse_file(arxiv_payloads, API_2017_PAGE1)

    assert (page0.start_index, page1.start_index) == (0, 1)
    assert page0.total_results == page1.total_results == 24617
    ids0 = [paper.arxiv_id for paper in page0.papers]
    ids1 = [paper.arxiv_id for paper in page1.papers]
    assert ids0[1:] == ids1[:9]
    assert ids1[9] == "1604.07600"


def test_api_lookup_of_old_style_id(arxiv_payloads):
    feed = parse_file(arxiv_payloads, "api_atom_2026_id_quant-ph_0201082v1.xml")

    assert (feed.total_results, feed.start_index) == (1, 0)
    assert feed.papers == [
        FeedPaper(
            arxiv_id="quant-ph/0201082",
            version=1,
            title=(
                "Quantum Computers and Quantum Computer Languages: Quantum Assembly Language and Quantum C Language"
            ),
            authors=(FeedAuthor("Stephen Blaha"),),
            primary_category="quant-ph",
            categories=("quant-ph", "cs.PL"),
            abstract=(
                "We show a representation of Quantum Computers defines Quantum Turing Machines with associated "
                "Quantum Grammars. We then create examples of Quantum Grammars. Lastly we develop an algebraic "
                "approach to high level Quantum Languages using Quantum Assembly language and Quantum C language "
                "as examples."
            ),
            published=utc(2002, 1, 18, 15, 8, 5),
            updated=utc(2002, 1, 18, 15, 8, 5),
            comment="32 pages",
        )
    ]


def test_api_lookup_of_new_style_id(arxiv_payloads):
    feed = parse_file(arxiv_payloads, "api_atom_2026_id_1605.08386.xml")

    assert feed.papers == [
        FeedPaper(
            arxiv_id="1605.08386",
            version=1,
            title="Heat-bath random walks with Markov bases",
            authors=(FeedAuthor("Caprice Stanley"), FeedAuthor("Tobias Windisch")),
            primary_category="math.CO",
            categories=("math.CO", "math.ST"),
            abstract=(
                "Graphs on lattice points are studied whose edges come from a finite set of allowed moves of "
                "arbitrary length. We show that the diameter of these graphs on fibers of a fixed integer matrix "
                "can be bounded from above by a constant. We then study the mixing behaviour of heat-bath random "
                "walks on these graphs. We also state explicit conditions on the set of moves so that the "
                "heat-bath random walk, a generalization of the Glauber dynamics, is an expander in fixed dimension."
            ),
            published=utc(2016, 5, 26, 17, 59, 46),
            updated=utc(2016, 5, 26, 17, 59, 46),
            comment="20 pages, 3 figures",
        )
    ]


def test_api_lookup_of_versioned_id_keeps_first_submission_and_last_update(arxiv_payloads):
    feed = parse_file(arxiv_payloads, "api_atom_2016_id_list_1111.2011v2.xml")

    assert (feed.format, len(feed.papers), feed.total_results) == ("api", 1, 1)
    paper = feed.papers[0]
    assert (paper.arxiv_id, paper.version) == ("1111.2011", 2)
    assert paper.published == utc(2011, 11, 8, 18, 48, 36)
    assert paper.updated == utc(2012, 4, 2, 12, 38, 54)
    assert paper.title == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert names(paper) == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert paper.primary_category == "cond-mat.str-el"
    assert paper.doi == "10.1103/PhysRevB.85.115117"
    assert paper.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert paper.comment == "8 pages, 3 figures. Published version"
    assert paper.abstract.startswith("Theoretical description of anisotropic systems, such as layered superconductors")
    assert paper.abstract.endswith("similar to adding a single extra dimension to the theory describing a single node.")


# --- API, own fixtures -------------------------------------------------------------------------


def test_api_affiliations_are_kept_per_author_and_per_entry(own_data):
    feed = parse_file(own_data, "feeds_api_affiliations.xml")

    assert paper_by_id(feed, "2603.01234").authors == (
        FeedAuthor("Ana Lima", ("Universidade de Lisboa", "Instituto Superior Técnico")),
        FeedAuthor("Bo Chen", ()),
        FeedAuthor("Claire Dupont", ("CNRS, Université Paris-Saclay",)),
        FeedAuthor("Dara O'Neill", ("Trinity College Dublin",)),
    )
    assert paper_by_id(feed, "2603.04321").authors == (
        FeedAuthor("Bo Chen", ("Tsinghua University",)),
        FeedAuthor("Ana Lima", ()),
    )


def test_api_odd_whitespace_is_collapsed_and_unicode_kept(own_data):
    raw = (own_data / "feeds_api_text_crlf.xml").read_bytes()
    assert b"\r\n" in raw and b"\t" in raw and "\u00a0".encode() in raw
    paper = paper_by_id(parse_feed(raw), "2602.11111")

    assert paper.title == "Graph Neural Networks for 图神经网络 — a Café Study"
    assert paper.abstract == (
        "We study naïve graphs in 北京 and São Paulo — across lines.\n\nA second paragraph, façade included."
    )
    assert paper.comment == "12 pages, 3 figures"
    assert names(paper) == ["Zhāng Wěi", "Zoë Brontë"]


def test_api_markup_in_text_is_kept_as_text(own_data):
    paper = paper_by_id(parse_file(own_data, "feeds_api_text_crlf.xml"), "2602.22222")

    assert paper.title == "Escaping <b>Is</b> the Output's Job"
    assert paper.abstract == (
        'Text such as <script>alert("xss")</script> and <img src=x onerror=alert(1)> stays text, '
        "as do 1 < 2 && 3 > 2 and &amp;."
    )
    assert paper.comment == "<script>document.write(1)</script> 5 pages"
    assert names(paper) == ["Mallory <script>"]


def test_api_blank_lines_in_abstract_stay_paragraph_breaks(own_data):
    paper = paper_by_id(parse_file(own_data, "feeds_api_text_crlf.xml"), "2602.33333")

    assert paper.abstract == (
        "First paragraph, line one wrapped onto line two.\n\nSecond paragraph.\n\n"
        "Third paragraph after several blank lines."
    )


def test_api_sixty_authors_keep_their_order(own_data):
    paper = parse_file(own_data, "feeds_api_sixty_authors.xml").papers[0]

    expected = [f"Author{(n * 37) % 61:02d} Example" for n in range(1, 61)]
    assert expected != sorted(expected)
    assert names(paper) == expected


def test_api_id_without_version_is_version_one(own_data):
    paper = paper_by_id(parse_file(own_data, "feeds_api_ids_and_categories.xml"), "2101.00123")

    assert paper.version == 1
    assert paper.published == paper.updated == utc(2021, 1, 4, 10, 0)


def test_api_primary_category_missing_from_terms_is_put_first(own_data):
    paper = paper_by_id(parse_file(own_data, "feeds_api_ids_and_categories.xml"), "2512.09876")

    assert paper.version == 4
    assert paper.primary_category == "cs.AI"
    assert paper.categories == ("cs.AI", "cs.LG", "stat.ML")
    assert paper.other_classes == ("I.2.6",)


def test_parsed_papers_are_frozen(own_data):
    paper = parse_file(own_data, "feeds_api_ids_and_categories.xml").papers[0]

    with pytest.raises(dataclasses.FrozenInstanceError):
        paper.title = "changed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        paper.authors[0].name = "changed"


# --- Announcement feeds --------------------------------------------------------------------------


def test_rss_feed_items_are_parsed(arxiv_payloads):
    feed = parse_file(arxiv_payloads, RSS2_FEED)

    assert (feed.format, len(feed.papers)) == ("rss", 4)
    assert [(paper.arxiv_id, paper.version, paper.announce_type) for paper in feed.papers] == [
        ("2609.26811", 1, "new"),
        ("2609.26820", 1, "new"),
        ("2205.06398", 2, "cross"),
        ("2009.13987", 3, "replace"),
    ]
    assert [names(paper) for paper in feed.papers] == [
        ["Fabien Polly"],
        ["Naser Mansour", "Sidahmed Benabderrahmane", "Ameer Rahwan"],
        ["Pritam Dey", "Zhengwu Zhang", "David B. Dunson"],
        ["Michael Joswig", "Marek Kaluba", "Lukas Ruff"],
    ]
    assert [paper.license for paper in feed.papers] == [
        "http://creativecommons.org/licenses/by-nc-sa/4.0/",
        "http://creativecommons.org/licenses/by-nc-nd/4.0/",
        "http://creativecommons.org/licenses/by-sa/4.0/",
        "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    ]
    assert [paper.doi for paper in feed.papers] == ["", "", "10.1093/bioinformatics/btac431", ""]
    assert [paper.categories for paper in feed.papers] == [
        ("cs.LG",),
        ("cs.LG", "cs.AI"),
        ("stat.ME", "stat.AP", "stat.ML"),
        ("cs.LG", "math.MG", "stat.ML"),
    ]
    assert [paper.primary_category for paper in feed.papers] == ["cs.LG", "cs.LG", "stat.ME", "cs.LG"]
    for paper in feed.papers:
        assert paper.announced == paper.published == paper.updated == utc(2026, 9, 24, 4, 0)
        assert paper.announced.utcoffset() == dt.timedelta(0)


def test_rss_abstract_loses_the_announcement_header(arxiv_payloads):
    feed = parse_file(arxiv_payloads, RSS2_FEED)

    assert paper_by_id(feed, "2009.13987").abstract == (
        "We introduce a class of random polytopes which simultaneously generalizes several known constructions. "
        "While being fairly general, these polytopes are also computationally exceptionally benign. We indicate "
        "how these properties can be exploited for classification and clustering tasks in data analysis. "
        "Crucially, our construction lets users smoothly trade off between a tighter description of the data "
        "and faster computation."
    )
    assert paper_by_id(feed, "2609.26811").abstract.startswith(
        "Local learning trains each layer with its own auxiliary loss and no global backward pass,"
    )
    for paper in feed.papers:
        assert "Abstract:" not in paper.abstract and "Announce Type" not in paper.abstract
        assert paper.abstract == paper.abstract.strip() and "\n" not in paper.abstract


def test_rss_entities_author_list_and_replace_cross_are_read(own_data):
    paper = parse_file(own_data, "feeds_rss2_edge_cases.xml").papers[0]

    assert paper == FeedPaper(
        arxiv_id="2501.07777",
        version=5,
        title="Bounds for $a<b$ & Other Inequalities",
        authors=(FeedAuthor("Jana Nováková"), FeedAuthor("Søren Ødegaard"), FeedAuthor("Jean-Luc Picard")),
        primary_category="stat.TH",
        categories=("stat.TH", "math.PR"),
        abstract=(
            "We prove $P(X<t) \\le e^{-t}$ for $t > 0$ & discuss R&D. "
            "Markup such as <script>alert(1)</script> is plain text here."
        ),
        published=utc(2026, 1, 13, 5, 0),
        updated=utc(2026, 1, 13, 5, 0),
        journal_ref="Ann. Probab. 54 (2026) 1-30",
        license="http://creativecommons.org/licenses/by/4.0/",
        announce_type="replace-cross",
        announced=utc(2026, 1, 13, 5, 0),
    )


def test_rss_unknown_announce_type_is_an_error(own_data):
    content = (own_data / "feeds_rss2_edge_cases.xml").read_bytes().replace(b"replace-cross", b"withdrawn")

    with pytest.raises(FeedError) as excinfo:
        parse_feed(content)
    assert "unknown announce type 'withdrawn'" in assert_one_line_error(excinfo)


def test_rss_atom_feed_items_are_parsed(arxiv_payloads):
    feed = parse_file(arxiv_payloads, RSS_ATOM_FEED)

    assert (feed.format, len(feed.papers)) == ("rss-atom", 3)
    assert [(paper.arxiv_id, paper.version, paper.announce_type) for paper in feed.papers] == [
        ("2609.28553", 1, "new"),
        ("2402.10149", 3, "cross"),
        ("2401.08875", 3, "replace"),
    ]
    first, cross, replaced = feed.papers
    assert first.journal_ref == "2026 International Conference on Multimedia Analysis and Pattern Recognition (MAPR)"
    assert first.doi == "10.1109/MAPR72750.2026.11685822"
    assert first.abstract == (
        "Drug toxicity prediction is critical for reducing late-stage attrition in drug discovery, yet remains "
        "challenging due to severe class imbalance, scaffold-based generalization, and the clinical need for "
        "interpretable predictions."
    )
    assert names(first) == [
        "Quang Minh Nguyen",
        "Thuy Quynh Nguyen",
        "Duc Minh Le",
        "Ho Nhat Minh Nguyen",
        "Thanh Long Dai Doan",
        "Trong Nghia Nguyen",
    ]
    assert (cross.doi, cross.journal_ref) == ("10.1103/PhysRevD.111.032004", "")
    assert (cross.primary_category, cross.categories) == ("hep-ph", ("hep-ph", "cs.LG", "hep-ex"))
    assert names(cross) == ["Callum Birch-Sykes", "Brian Le", "Yvonne Peters", "Ethan Simpson", "Zihan Zhang"]
    assert (replaced.doi, replaced.journal_ref) == ("", "")
    assert replaced.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    for paper in feed.papers:
        assert paper.announced == utc(2026, 9, 25, 4, 0)


def test_rss_rdf_feed_items_are_parsed(own_data):
    feed = parse_file(own_data, "feeds_rss1_rdf.xml")

    assert (feed.format, len(feed.papers)) == ("rss-rdf", 3)
    new, cross_listed, updated = feed.papers
    assert new == FeedPaper(
        arxiv_id="1903.05001",
        version=1,
        title="Counting lines on a made-up cubic surface",
        authors=(FeedAuthor("Ada Quill"), FeedAuthor("Bartłomiej Ostrowski")),
        primary_category="math.AG",
        categories=("math.AG",),
        abstract=(
            "We count the lines on a cubic surface that exists only in this test, for $0<t<1$, "
            "and find twenty-seven of them."
        ),
        published=utc(2019, 3, 15, 1, 30),
        updated=utc(2019, 3, 15, 1, 30),
        announced=utc(2019, 3, 15, 1, 30),
    )
    assert (cross_listed.arxiv_id, cross_listed.version, cross_listed.announce_type) == ("1903.04420", 1, "cross")
    assert cross_listed.title == "Tropical curves for the impatient"
    assert cross_listed.primary_category == "math.CO"
    assert (updated.arxiv_id, updated.version, updated.announce_type) == ("math/0601001", 3, "replace")
    assert names(updated) == ["Daichi Tanaka"]


# --- Errors and empty answers --------------------------------------------------------------------


def test_api_error_answer_raises_feed_error(arxiv_payloads):
    with pytest.raises(FeedError) as excinfo:
        parse_file(arxiv_payloads, "api_atom_2026_error_http400_incorrect_id_format.xml")
    assert "incorrect id format" in assert_one_line_error(excinfo)


def test_rss_error_answer_raises_feed_error(arxiv_payloads):
    with pytest.raises(FeedError) as excinfo:
        parse_file(arxiv_payloads, "rss2_2024-11-28_error_bad_archive.xml")
    assert "Bad archive 'astroph'" in assert_one_line_error(excinfo)


@pytest.mark.parametrize(
    ("name", "feed_format"),
    [
        ("api_atom_2026_empty_totalResults0_id_0000.0000.xml", "api"),
        ("rss2_2024-11-28_test_archive_empty.xml", "rss"),
    ],
)
def test_empty_answers_parse_to_no_papers(arxiv_payloads, name, feed_format):
    feed = parse_file(arxiv_payloads, name)

    assert (feed.format, feed.papers, feed.total_results, feed.start_index) == (feed_format, [], 0, 0)


@pytest.mark.parametrize("kept", [0.25, 0.5, 0.9, 0.99])
def test_truncated_document_raises_one_line_feed_error(own_data, kept):
    content = (own_data / "feeds_api_affiliations.xml").read_bytes()

    with pytest.raises(FeedError) as excinfo:
        parse_feed(content[: int(len(content) * kept)])
    assert assert_one_line_error(excinfo).startswith("malformed XML: ")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            "got an HTML page instead of a feed: '502 Bad Gateway 502 Bad Gateway nginx'",
        ),
        (
            b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>Service Unavailable</title>\n</head>\n"
            b"<body>\n<p>Please try\nagain later.</p>\n</body>\n</html>\n",
            "got an HTML page instead of a feed: ",
        ),
        (b"", "the answer is empty (no feed at all)"),
        (b" \r\n\t ", "the answer is empty (no feed at all)"),
        (b"Rate exceeded.\nPlease retry later.\n", "malformed XML: "),
        (b"<?xml version='1.0'?><status><code>503</code></status>", "not an arXiv API answer nor an RSS/Atom feed"),
    ],
    ids=["nginx-502", "html-doctype", "empty", "whitespace", "plain-text", "other-xml"],
)
def test_non_feed_answers_raise_one_line_feed_error(content, expected):
    with pytest.raises(FeedError) as excinfo:
        parse_feed(content)
    assert assert_one_line_error(excinfo).startswith(expected)


def test_api_indented_lines_start_new_paragraphs(arxiv_payloads):
    """arXiv marks a paragraph by an indented line (1812.11470: Context / Objective / Method / Results)."""
    feed = parse_feed((arxiv_payloads / "api_atom_2026_search_all_testing_100entries.xml").read_bytes())
    paper = next(p for p in feed.papers if p.arxiv_id == "1812.11470")
    paragraphs = paper.abstract.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Context. Multiple automated techniques")
    assert all(paragraph == " ".join(paragraph.split()) for paragraph in paragraphs)


@pytest.mark.parametrize(
    ("creators", "names"),
    [
        ("Ada Lovelace, Charles Babbage, and Mary Somerville", ["Ada Lovelace", "Charles Babbage", "Mary Somerville"]),
        ("Ada Lovelace and Charles Babbage", ["Ada Lovelace", "Charles Babbage"]),
        ("John Smith, Jr., Jane Doe", ["John Smith, Jr.", "Jane Doe"]),
    ],
)
def test_announcement_author_strings_split_into_people(creators, names):
    item = (
        "<item><title>T</title><link>https://arxiv.org/abs/2609.00001</link>"
        "<description>arXiv:2609.00001v1 Announce Type: new \nAbstract: A.</description>"
        "<guid isPermaLink='false'>oai:arXiv.org:2609.00001v1</guid><category>cs.SD</category>"
        "<pubDate>Thu, 24 Sep 2026 00:00:00 -0400</pubDate>"
        f"<dc:creator>{creators}</dc:creator></item>"
    )
    feed = parse_feed(
        (
            '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom"><channel><title>cs.SD updates on arXiv.org</title>'
            f"{item}</channel></rss>"
        ).encode()
    )
    assert [author.name for author in feed.papers[0].authors] == names


def test_html_error_page_text_keeps_word_boundaries():
    page = b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><p>Try later</p></body></html>"
    with pytest.raises(FeedError, match="Service Unavailable Try later"):
        parse_feed(page)


# --- Impossible dates and character references -----------------------------------------------------


def api_answer(first_published: str, first_summary: str = "An abstract.") -> bytes:
    """An API answer of two entries; the first one's date and abstract as given."""
    entries = [("2601.00001", first_published, first_summary), ("2601.00002", "2026-01-08T10:00:00Z", "Fine.")]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        "<id>http://arxiv.org/api/q</id><title>query</title><updated>2026-01-09T00:00:00Z</updated>"
        "<opensearch:totalResults>2</opensearch:totalResults><opensearch:startIndex>0</opensearch:startIndex>"
        + "".join(
            f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><published>{date}</published><updated>{date}</updated>"
            f"<title>Paper {arxiv_id}</title><summary>{summary}</summary><author><name>A. Author</name></author>"
            '<category term="cs.SD"/></entry>'
            for arxiv_id, date, summary in entries)
        + "</feed>"
    ).encode()


@pytest.mark.parametrize("date", ["2026-13-45T99:99:99Z", "2026-02-30T10:00:00Z", "2026-01-08T24:00:00Z",
                                  "2026-01-08T10:61:00Z"])
def test_an_entry_with_an_impossible_date_is_left_out_saying_why_and_the_rest_is_kept(date):
    """feedparser rolls 2026-13-45T99:99:99Z over into 2027-01-01; it was stored as that."""
    feed = parse_feed(api_answer(date))

    assert [paper.arxiv_id for paper in feed.papers] == ["2601.00002"]
    assert feed.refused == [f"entry 1 (2601.00001) left out: its published date '{date}' is no real day and time"]


def test_a_leap_second_is_a_real_time():
    feed = parse_feed(api_answer("2026-01-08T10:00:60Z"))
    assert [paper.arxiv_id for paper in feed.papers] == ["2601.00001", "2601.00002"] and feed.refused == []


def test_an_announcement_item_with_an_impossible_date_is_left_out(own_data):
    content = (own_data / "feeds_rss2_edge_cases.xml").read_bytes()
    content = content.replace(b"<pubDate>Tue, 13 Jan 2026 00:00:00 -0500</pubDate>",
                              b"<pubDate>Tue, 45 Jan 2026 00:00:00 -0500</pubDate>", 2)
    feed = parse_feed(content)

    assert feed.papers == []
    assert len(feed.refused) == 1 and "left out: its published date 'Tue, 45 Jan 2026" in feed.refused[0]


@pytest.mark.parametrize("reference", ["&#xD800;", "&#55296;", "&#xDBFF;&#xDC00;", "&#x110000;", "&#99999999999;"])
def test_a_character_reference_to_no_character_is_a_one_line_error_not_a_traceback(reference):
    with pytest.raises(FeedError) as excinfo:
        parse_feed(api_answer("2026-01-08T10:00:00Z", f"before {reference} after"))
    assert assert_one_line_error(excinfo).startswith("malformed XML: a character reference names no character")
