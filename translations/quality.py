"""Running the named quality checks on a paper's Chinese text: the source and glossary rules they
read are gathered here, from the database; the checks themselves (translations.checks) are pure.

Which glossary: a paper's text is drafted and its findings stored with the paper's glossary (the
newsroom's terms and the additions of the digests holding it, terminology.paper_glossary); one digest's
entry is reviewed with that digest's glossary (`digest=`), its glossary findings worked out anew.
"""

from __future__ import annotations

from papers.models import Paper
from translations.checks import CHECKS, CheckInput, run_checks
from translations.models import ChineseText, PaperText
from translations.terminology import TermMatcher, TermRule, digest_additions_exist, glossary_matcher, paper_glossary


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


def paper_term_rules(paper: Paper, *, full_text: str | None = None, digest=None) -> list[TermRule]:
    """The glossary rules the paper's English uses (title, abstract and the cached full text), longest source
    first: of `digest`'s glossary if given, else of the paper's."""
    if full_text is None:
        full_text = _cached_full_text(paper)
    glossary = glossary_matcher([digest]) if digest is not None else paper_glossary(paper)
    return glossary.rules_in("\n".join([paper.title, paper.abstract, full_text]))


def text_findings(
    *, paper: Paper, text: dict[str, str], full_text: str | None = None, rules: list[TermRule] | None = None,
    glossary: TermMatcher | None = None, only: set[str] | None = None,
) -> list[dict]:
    """The findings (as stored) of every check (or the `only` ones) on `text`, one of the paper's Chinese texts.

    `full_text`, `rules` and `glossary` are given by drafting, which has them at hand; otherwise the
    paper's cached full text of its current version is used, and the paper's glossary (paper_glossary)
    with the rules its English uses.
    """
    if full_text is None:
        full_text = _cached_full_text(paper)
    glossary = paper_glossary(paper) if glossary is None else glossary
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
    return [finding.as_json() for finding in run_checks(source, only=only)]


GLOSSARY_CHECKS = {check_id for check_id in CHECKS if check_id.startswith("glossary")}


def findings_of(row: ChineseText, *, digest=None) -> list[dict]:
    """A draft's or revision's findings: as stored, or worked out now for a row made before the checks.

    For one digest's entry (`digest`), once any digest has terms of its own, the glossary checks' findings
    are that digest's glossary's (worked out now), the others' as stored."""
    findings = row.checks if row.checks is not None else text_findings(paper=row.paper, text=row.text())
    if digest is None or not digest_additions_exist():
        return findings
    fresh = text_findings(paper=row.paper, text=row.text(), glossary=glossary_matcher([digest]), only=GLOSSARY_CHECKS)
    order = {check_id: place for place, check_id in enumerate(CHECKS)}
    kept = [finding for finding in findings if finding["check"] not in GLOSSARY_CHECKS]
    return sorted(kept + fresh, key=lambda finding: order.get(finding["check"], len(order)))
