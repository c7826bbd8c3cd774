"""Publishing listens to translations (never the other way round)."""

from django.dispatch import receiver

from publishing.export import jekyll_posts_sync
from publishing.pipeline import day_check_drafting, days_awaiting_drafts_of
from publishing.publication import day_publication_changed
from publishing.public_cache import public_cache_clear
from publishing.review import entries_follow_text
from translations.revisions import revision_saved
from translations.services import draft_finished


@receiver(draft_finished)
def move_days_on_when_their_drafts_finish(sender, draft, **kwargs) -> None:
    for day in days_awaiting_drafts_of(draft.paper_id):
        day_check_drafting(day=day)


@receiver(revision_saved)
def entries_follow_their_text(sender, revision, **kwargs) -> None:
    entries_follow_text(revision=revision)


@receiver(day_publication_changed)
def public_pages_follow_publication(sender, day, **kwargs) -> None:
    public_cache_clear(day)
    jekyll_posts_sync(day)
