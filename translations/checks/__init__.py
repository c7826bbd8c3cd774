"""Named quality checks on a paper's Chinese text: plain functions over plain data, no database.

`CHECKS` is the registry (id → Check); `run_checks(CheckInput(...))` runs them all. The modules
below register their checks when imported (the review page lists errors before warnings).
"""

from translations.checks import glossary, language, links, markdown, numbers, tex  # noqa: F401  (registration)
from translations.checks.base import (
    CHECKS,
    ERROR,
    SEVERITY_LABELS,
    WARNING,
    Check,
    CheckInput,
    Finding,
    check_named,
    errors_in,
    run_checks,
    severity_of,
)
from translations.checks.language import chinese_share
from translations.checks.numbers import numbers_in

__all__ = [
    "CHECKS", "ERROR", "SEVERITY_LABELS", "WARNING", "Check", "CheckInput", "Finding", "check_named", "chinese_share",
    "errors_in", "numbers_in", "run_checks", "severity_of",
]
