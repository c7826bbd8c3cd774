"""The words editors read on the review pages about who changed what and why a post was refused:
in their language, in the site's time zone, with the text sections' labels."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from publishing.review.forms import text_label
from publishing.review.services import ReviewError, TextChangedSinceRead
from translations.models import Revision
from translations.revisions import SectionsEditedByPeople, StaleEdit


def who_wrote(revision: Revision) -> str:
    return revision.author.get_username() if revision.author else _("the machine draft")


def when_shown(moment) -> str:
    return date_format(localtime(moment), "Y-m-d H:i")


def joined(words) -> str:
    return pgettext("list separator", ", ").join(str(word) for word in words)


def labels_of(names) -> str:
    return joined(text_label(name) for name in names) or _("nothing")


def _changes_since(current: Revision, base_number: int, changed: list[str]) -> dict[str, object]:
    return {"who": who_wrote(current), "time": when_shown(current.created_at), "number": current.number,
            "base": base_number, "labels": labels_of(changed)}


def stale_save_message(stale: StaleEdit) -> str:
    return _(
        "Not saved: %(who)s saved revision %(number)d at %(time)s (you opened revision %(base)d), changing: "
        "%(labels)s. Your text is still in the form; compare and save again."
    ) % _changes_since(stale.current, stale.base_number, stale.changed)


def stale_restore_message(stale: StaleEdit) -> str:
    return _(
        "Not restored: %(who)s saved revision %(number)d at %(time)s (you opened revision %(base)d), changing: "
        "%(labels)s. Look at the history again before restoring."
    ) % _changes_since(stale.current, stale.base_number, stale.changed)


def review_error_message(error: ReviewError) -> str:
    if isinstance(error, TextChangedSinceRead):
        return _(
            "Not approved %(arxiv_id)s: %(who)s saved revision %(number)d at %(time)s (you read revision %(base)d), "
            "changing: %(labels)s. Read it again before approving."
        ) % {"arxiv_id": error.params["arxiv_id"], **_changes_since(error.current, error.seen_revision, error.changed)}
    return str(error)


def people_edits_message(refused: SectionsEditedByPeople) -> str:
    people = {revision.author.get_username() for revisions in refused.edits.values() for revision in revisions}
    return _(
        "Not adopted: %(people)s changed %(labels)s since the machine draft, and a draft never replaces "
        "what a person wrote. Copy from the draft by hand if you want its words."
    ) % {"people": joined(sorted(people)), "labels": labels_of(refused.edits)}
