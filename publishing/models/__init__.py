"""Publishing's models, one module per job (as Wagtail's `wagtail/models/`): days, entries,
publications, schedules. Import them from here: `from publishing.models import Entry`."""

from publishing.models.days import DayTransition, DigestDay, FilteredPaper
from publishing.models.entries import Entry, SourceChange
from publishing.models.publications import Publication, PublishedPaper, PublishedPaperCategory
from publishing.models.schedules import ScheduledPublication

__all__ = [
    "DayTransition", "DigestDay", "Entry", "FilteredPaper", "Publication", "PublishedPaper",
    "PublishedPaperCategory", "ScheduledPublication", "SourceChange",
]
