"""Publishing listens to translations and papers (never the other way round) and to its own publication signal."""

from django.dispatch import receiver

from papers.services import paper_replaced
from publishing.days.pipeline import day_check_drafting, days_awaiting_drafts_of
from publishing.days.services import acting_as
from publishing.models import Entry
from publishing.posts.export import jekyll_posts_sync
from publishing.review.services import entries_follow_text
from publishing.review.source_changes import source_change_record
from publishing.signals import day_publication_changed
from translations.revisions import revision_saved
from translations.services import draft_finished
from translations.terminology import paper_digests_asked


@receiver(draft_finished)
def move_days_on_when_their_drafts_finish(sender, draft, **kwargs) -> None:
    with acting_as("drafting worker", unless_set=True):
        for day in days_awaiting_drafts_of(draft.paper_id):
            day_check_drafting(day=day)


@receiver(paper_digests_asked)
def digests_holding_the_paper(sender, paper, **kwargs) -> list[int]:
    """Translations asks which digests hold a paper (its glossary is theirs): those of its entries, in the
    digests' order."""
    ids = Entry.objects.filter(paper=paper).order_by("digest__position", "digest_id").values_list("digest_id", flat=True)
    return list(dict.fromkeys(ids))


@receiver(revision_saved)
def entries_follow_their_text(sender, revision, **kwargs) -> None:
    entries_follow_text(revision=revision)


@receiver(paper_replaced)
def approved_entries_marked_when_their_source_changes(sender, paper, previous, run=None, **kwargs) -> None:
    source_change_record(paper=paper, previous=previous, run=run)


@receiver(day_publication_changed)
def jekyll_posts_follow_publication(sender, day, **kwargs) -> None:
    jekyll_posts_sync(day)

