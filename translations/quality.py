"""Running the named quality checks on a paper's Chinese text: the source and glossary rules they
read are gathered here, from the database; the checks themselves (translations.checks) are pure."""

from __future__ import annotations

from papers.models import Paper
from translations.checks import CheckInput, run_checks
from translations.models import ChineseText, PaperText
from translations.terminology import TermMatcher, TermRule, glossary_matcher


def _cached_full_text(paper: Paper) -> str:
    cached = PaperText.objects.filter(paper=paper, paper_version=paper.version).exclude(kind=PaperText.Kind.NONE).first()
    return cached.text if cached else ""


def paper_metadata(paper: Paper) -> str:
    """What the paper says of itself besides its text, for the checks: its arXiv page, comments (code and
    project links), journal reference and DOI link."""
    return "\n".join(filter(None, [
        f"https://arxiv.org/abs/{paper.arxiv_id}", paper.comment, paper.journal_ref,
        f"https://doi.org/{paper.doi}" if paper.doi else "",
    ]))


def paper_term_rules(paper: Paper, *, full_text: str | None = None) -> list[TermRule]:
    """The glossary rules the paper's English uses (title, abstract and the cached full text), longest source first."""
    if full_text is None:
        full_text = _cached_full_text(paper)
    return glossary_matcher().rules_in("\n".join([paper.title, paper.abstract, full_text]))


def text_findings(
    *, paper: Paper, text: dict[str, str], full_text: str | None = None, rules: list[TermRule] | None = None,
    glossary: TermMatcher | None = None,
) -> list[dict]:
    """The findings (as stored) of every check on `text`, one of the paper's Chinese texts.

    `full_text`, `rules` and `glossary` are given by drafting, which has them at hand; otherwise the
    paper's cached full text of its current version is used, and the glossary rules its English uses.
    """
    if full_text is None:
        full_text = _cached_full_text(paper)
    glossary = glossary_matcher() if glossary is None else glossary
    if rules is None:
        rules = glossary.rules_in("\n".join([paper.title, paper.abstract, full_text]))
    source = CheckInput(
        text={name: text.get(name, "") for name in ChineseText.TEXT_FIELDS},
        title=paper.title,
        abstract=paper.abstract,
        full_text=full_text,
        metadata=paper_metadata(paper),
        rules=tuple(rules),
        glossary=glossary,
    )
    return [finding.as_json() for finding in run_checks(source)]


def findings_of(row: ChineseText) -> list[dict]:
    """A draft's or revision's findings: as stored, or worked out now for a row made before the checks."""
    if row.checks is not None:
        return row.checks
    return text_findings(paper=row.paper, text=row.text())
