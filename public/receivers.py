"""The public site listens to publishing (never the other way round)."""

from django.dispatch import receiver

from public.page_cache import public_cache_clear
from publishing.signals import day_publication_changed


@receiver(day_publication_changed)
def public_pages_follow_publication(sender, day, **kwargs) -> None:
    public_cache_clear(day)
