"""Why a day is flagged, and its moves, as editors read them in the admin.

The steps store their reasons in English: the same words go to the commands' output, the logs,
`digest_status --json` and the team's alerts, and a flag is recognised again by its exact text
(`day_flag_acknowledged`). The admin shows each reason a step writes in the editor's language,
with times in the site's zone; a reason a person typed (an acknowledgement) is shown as typed.
Each pattern below is the English its step writes; tests/publishing/test_flag_wording.py makes
every reason through the step itself, so a change to the English fails there, not silently here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from papers.announcements import stale_feed_warning_shown

# What DayTransition.step holds (publishing/days/services.py and publishing/posts/publication.py).
STEP_LABELS = {
    "collect": pgettext_lazy("day step", "collect"),
    "draft": pgettext_lazy("day step", "draft"),
    "publish": pgettext_lazy("day step", "publish"),
    "acknowledge": pgettext_lazy("day step", "acknowledged by a chief editor"),
}


def step_shown(step: str) -> str:
    return str(STEP_LABELS.get(step, step))


def actor_shown(actor: str) -> str:
    """Who moved the day: a person's or a job's name ("run_daily (schedule)"); "system" when neither is known."""
    return _("system") if actor == "system" else actor


def _drafts_failed(match: re.Match) -> str:
    return _(
        "%(count)s machine drafts failed (%(papers)s): %(error)s. See Machine drafts, fix the cause and use "
        "“draft again”."
    ) % {"count": match["count"], "papers": match["papers"], "error": match["error"]}


def _no_llm(match: re.Match) -> str:
    return _(
        "No LLM is configured: set %(missing)s (any OpenAI-compatible server: OPENAI_BASE_URL, OPENAI_API_KEY, "
        "DIGEST_LLM_MODEL), then draft the day again."
    ) % {"missing": _(" and ").join(_(setting) for setting in match["missing"].split(" and "))}


_REASONS: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    # publishing/days/pipeline.py, day_check_drafting
    (re.compile(r"(?P<count>\d+) machine draft\(s\) failed \((?P<papers>[^)]*)\): (?P<error>.*); see Machine drafts, "
                r"fix the cause and use “draft again”", re.DOTALL), _drafts_failed),
    # translations/llm.py, LLMConfig.problem
    (re.compile(r"No LLM is configured: set (?P<missing>.*?) \(any OpenAI-compatible server: .*", re.DOTALL), _no_llm),
    # publishing/days/services.py and collection.py: a step's success clears its flag
    (re.compile(r"cleared: the step succeeded"), lambda match: _("cleared: the step succeeded")),
    (re.compile(r"cleared: a fresh fetch saw the announcement"),
     lambda match: _("cleared: a fresh fetch saw the announcement")),
    # publishing/posts/publication.py
    (re.compile(r"version (?P<version>\d+)"), lambda match: _("version %(version)s") % {"version": match["version"]}),
    (re.compile(r"unpublished \(version (?P<version>\d+) hidden\)"),
     lambda match: _("unpublished (version %(version)s hidden)") % {"version": match["version"]}),
]


def reason_shown(reason: str) -> str:
    """A stored reason in the editor's language; one a person wrote (or an unknown one) as it is."""
    stale_feed = stale_feed_warning_shown(reason)  # worded beside the check that writes it
    if stale_feed is not None:
        return stale_feed
    for pattern, shown in _REASONS:
        match = pattern.fullmatch(reason)
        if match:
            return shown(match)
    return reason
