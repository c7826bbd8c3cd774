"""Benchmark: how far the quality checks (translations.checks) can be trusted, on a labelled set.

    .venv/bin/python bench/checks.py [--data tests/data/checks_labelled.json] [--show-unlabelled]

The labelled set (tests/data/checks_labelled.json, described in tests/data/README.md) holds Chinese
texts of real papers — the six hand-written demo drafts and hand translations of real abstracts
recorded in tests/data/arxiv/ — as written, and with seeded errors (a number changed, a forbidden
rendering, a link injected, …). Each case lists its labelled findings: the check, the field, a quote
(the span's text, or a piece of the message when a finding has no span) and whether it is real.

Steps: every case is checked as the review page checks it (the starter glossary's rules found in the
English title and abstract, the whole starter glossary for terms the English never uses, the paper's
comment as metadata); each finding is matched to the case's labels. A finding labelled real is a true
positive, one labelled not real a false positive, one not labelled at all counts as a false positive
too (and is listed with --show-unlabelled, to be labelled); a real label no finding matched is a miss.
Prints, per check, its severity, the counts and its precision and recall; the target is a precision
of at least 0.95 for every error-severity check.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
DATA = REPO_ROOT / "tests" / "data" / "checks_labelled.json"
STARTER = REPO_ROOT / "translations" / "data" / "glossary-speech-audio.csv"
ATOM = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
# The announcement feed's prefix, as papers.feeds strips it.
_ANNOUNCE_RE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*[\w-]+\s*(?:Abstract:)?\s*", re.S)
TARGET_ERROR_PRECISION = 0.95


@dataclass(frozen=True)
class English:
    title: str
    abstract: str
    metadata: str


@cache
def recorded_english(path: str, arxiv_id: str) -> English:
    """A paper's English from a recorded Atom answer (in the repository), as the feed parser gives it."""
    root = ET.parse(REPO_ROOT / path).getroot()
    for entry in root.findall("a:entry", ATOM):
        entry_id = entry.find("a:id", ATOM).text.rsplit("/", 1)[-1].removeprefix("oai:arXiv.org:")
        if re.sub(r"v\d+$", "", entry_id) == arxiv_id:
            comment = entry.find("arxiv:comment", ATOM)
            return English(
                title=" ".join(entry.find("a:title", ATOM).text.split()),
                abstract=" ".join(_ANNOUNCE_RE.sub("", entry.find("a:summary", ATOM).text).split()),
                metadata="\n".join(filter(None, [f"https://arxiv.org/abs/{arxiv_id}",
                                                 comment.text if comment is not None else ""])),
            )
    raise LookupError(f"{arxiv_id} is not in {path}")


@cache
def starter_glossary():
    from translations.glossary_files import read_csv
    from translations.terminology import TermMatcher, TermRule

    rows = read_csv(STARTER.read_bytes())
    return TermMatcher(TermRule(source=row.source, kind=row.fields.get("kind", "preferred"),
                                rendering=row.fields.get("rendering", ""), forbidden=tuple(row.fields.get("forbidden", ())),
                                variants=tuple(row.fields.get("variants", ())), note=row.fields.get("note", ""))
                       for row in rows)


def case_text(case: dict, papers: dict) -> tuple[English, dict[str, str]]:
    """The case's English and Chinese: its paper's, with the case's edits applied in order."""
    paper = papers[case["paper"]]
    english = recorded_english(paper["english"], case["paper"])
    if case.get("english_append"):
        english = English(english.title, f"{english.abstract} {case['english_append']}", english.metadata)
    text = dict(paper["zh"])
    for edit in case.get("edits", []):
        name = edit["field"]
        if "set" in edit:
            text[name] = edit["set"]
        elif "append" in edit:
            text[name] += edit["append"]
        else:
            if edit["old"] not in text[name]:
                raise ValueError(f"case {case['id']}: {edit['old']!r} is not in {name}")
            text[name] = text[name].replace(edit["old"], edit["new"])
    return english, text


def case_findings(case: dict, papers: dict) -> tuple[dict[str, str], list]:
    from translations.checks import CheckInput, run_checks

    english, text = case_text(case, papers)
    glossary = starter_glossary()
    # The whole glossary where the checks take it (not before issue 20: the script also scores older checks).
    whole = {"glossary": glossary} if "glossary" in CheckInput.__dataclass_fields__ else {}
    source = CheckInput(text=text, title=english.title, abstract=english.abstract, metadata=english.metadata,
                        rules=tuple(glossary.rules_in(f"{english.title}\n{english.abstract}")), **whole)
    return text, run_checks(source)


def _matches(label: dict, finding, text: dict[str, str]) -> bool:
    if label["check"] != finding.check or label["field"] not in (finding.field, "*"):
        return False
    written = text.get(finding.field, "")[finding.start:finding.end] if finding.start is not None else ""
    return label["quote"] in written or label["quote"] in finding.message


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    unlabelled: list = field(default_factory=list)
    missed: list = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score(data: dict) -> dict[str, Score]:
    """Per check id: true and false positives and misses over every case of the labelled set."""
    from translations.checks import CHECKS

    scores = {check_id: Score() for check_id in CHECKS}
    # A label of a check these checks do not have (scoring older code) counts as that check's miss.
    scores.update({label["check"]: Score() for case in data["cases"] for label in case["labels"]
                   if label["check"] not in scores})
    for case in data["cases"]:
        text, findings = case_findings(case, data["papers"])
        labels = case["labels"] + data["papers"][case["paper"]].get("labels", [])
        matched: set[int] = set()
        for finding in findings:
            hit = next((index for index, label in enumerate(labels) if _matches(label, finding, text)), None)
            if hit is None:
                scores[finding.check].fp += 1
                scores[finding.check].unlabelled.append((case["id"], finding))
                continue
            matched.add(hit)
            if labels[hit]["real"]:
                scores[finding.check].tp += 1
            else:
                scores[finding.check].fp += 1
        for index, label in enumerate(labels):
            if label["real"] and index not in matched:
                scores[label["check"]].fn += 1
                scores[label["check"]].missed.append((case["id"], label))
    return scores


def label_counts(data: dict) -> Counter:
    """Labelled findings: each case's, and each paper's (labels that hold for every case of the paper) once."""
    labels = [label for case in data["cases"] for label in case["labels"]]
    labels += [label for paper in data["papers"].values() for label in paper.get("labels", [])]
    return Counter("real" if label["real"] else "not real" for label in labels)


def table(scores: dict[str, Score]) -> str:
    from translations.checks import CHECKS

    def ratio(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    lines = ["| check | severity | true + | false + | missed | precision | recall |",
             "|---|---|---:|---:|---:|---:|---:|"]
    def severity(check_id: str) -> str:
        return CHECKS[check_id].severity if check_id in CHECKS else "(none)"

    for check_id, result in sorted(scores.items(), key=lambda item: (severity(item[0]), item[0])):
        lines.append(f"| `{check_id}` | {severity(check_id)} | {result.tp} | {result.fp} | {result.fn} | "
                     f"{ratio(result.precision)} | {ratio(result.recall)} |")
    return "\n".join(lines)


def configure() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest_site.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DIGEST_VAR_DIR", tempfile.mkdtemp(prefix="bench-checks-"))
    os.environ.setdefault("LOG_LEVEL", "warning")
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show-unlabelled", action="store_true", help="list findings no label matches")
    parser.add_argument("--show-missed", action="store_true", help="list real labels no finding matches")
    options = parser.parse_args()
    configure()
    from translations.checks import CHECKS, ERROR

    data = json.loads(options.data.read_text(encoding="utf-8"))
    scores = score(data)
    counts = label_counts(data)
    print(f"{len(data['cases'])} cases of {len(data['papers'])} papers; {sum(counts.values())} labelled findings "
          f"({counts['real']} real, {counts['not real']} not real)\n")
    print(table(scores))
    if options.show_unlabelled:
        for check_id, result in scores.items():
            for case_id, finding in result.unlabelled:
                print(f"unlabelled: {case_id} {check_id} {finding.field} {finding.start}-{finding.end} {finding.message}")
    if options.show_missed:
        for check_id, result in scores.items():
            for case_id, label in result.missed:
                print(f"missed: {case_id} {check_id} {label['field']} {label['quote']!r} ({label['why']})")
    short = [check_id for check_id, result in scores.items()
             if check_id in CHECKS and CHECKS[check_id].severity == ERROR and (result.precision or 1.0) < TARGET_ERROR_PRECISION]
    print(f"\nerror-severity checks under {TARGET_ERROR_PRECISION} precision: {', '.join(short) or 'none'}")
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
