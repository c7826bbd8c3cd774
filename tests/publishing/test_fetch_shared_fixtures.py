"""`fetch_papers --file` on every recorded arXiv payload: every paper stored, every field right."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from papers.feeds import parse_feed
from papers.models import FetchRun, Paper

ERROR_ANSWERS = {"api_atom_2026_error_http400_incorrect_id_format.xml", "rss2_2024-11-28_error_bad_archive.xml"}


def feed_files(folder):
    return sorted(path for path in folder.glob("*.xml") if path.name not in ERROR_ANSWERS)


def fetch(*paths) -> str:
    out = StringIO()
    call_command("fetch_papers", "--date", "2026-09-25", "--file", *map(str, paths), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_every_recorded_paper_is_stored_once_with_its_latest_version(arxiv_payloads):
    files = feed_files(arxiv_payloads)
    fetch(*files)

    latest: dict[str, int] = {}
    for path in files:
        for paper in parse_feed(path.read_bytes()).papers:
            latest[paper.arxiv_id] = max(latest.get(paper.arxiv_id, 0), paper.version)
    stored = dict(Paper.objects.values_list("arxiv_id", "version"))
    assert stored == latest
    assert len(stored) > 130


@pytest.mark.django_db
def test_stored_fields_match_the_payload(arxiv_payloads):
    fetch(*feed_files(arxiv_payloads))

    paper = Paper.objects.get(arxiv_id="2202.12139")
    assert paper.title == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    assert paper.author_names == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert (paper.primary_category, paper.categories) == ("cs.SE", ["cs.SE", "cs.LG"])
    assert paper.comment == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert paper.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022 IEEE")
    assert paper.doi == "10.1109/ICSTW55395.2022.00035"
    assert paper.published == paper.updated == dt.datetime(2022, 2, 24, 15, 5, 19, tzinfo=dt.UTC)
    assert paper.abstract.startswith("Deep Learning (DL) has revolutionized")
    assert paper.abs_url == "https://arxiv.org/abs/2202.12139v1"
    assert paper.pdf_url == "https://arxiv.org/pdf/2202.12139v1"

    old_style = Paper.objects.get(arxiv_id="quant-ph/0201082")
    assert old_style.version == 1 and old_style.abs_url == "https://arxiv.org/abs/quant-ph/0201082v1"

    announced = Paper.objects.get(arxiv_id="2609.26811")
    assert announced.license == "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert announced.author_names == ["Fabien Polly"]

    assert not Paper.objects.filter(title__contains="Ã").exists()
    assert not Paper.objects.filter(abstract__contains="Î±").exists()


@pytest.mark.django_db
def test_fetching_the_fixtures_again_changes_nothing(arxiv_payloads):
    files = feed_files(arxiv_payloads)
    fetch(*files)
    before = list(Paper.objects.order_by("arxiv_id").values())
    summary = fetch(*files)
    assert list(Paper.objects.order_by("arxiv_id").values()) == before
    assert "papers created 0, updated 0" in summary
    assert FetchRun.objects.filter(status=FetchRun.Status.SUCCEEDED).count() == 2
