"""Making and changing digests (the admin's form and `add_digest` both come here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from digests.models import Digest


def _words(values: Sequence[str] | None) -> list[str]:
    return [value.strip() for value in values or () if value.strip()]


@transaction.atomic
def digest_add(*, slug: str, name: str, categories: Sequence[str], title_pattern: str | None = None,
               include_keywords: Sequence[str] = (), exclude_keywords: Sequence[str] = (),
               cross_lists: str | None = None, anchor: dt.time | None = None, time_zone: str | None = None,
               export_dir: str = "", description: str = "") -> Digest:
    """A new digest, checked as the admin's form checks it (ValidationError naming the fields that are wrong).
    Anchor and time zone default to the first digest's, so a new digest's days end when the newsroom's do."""
    home = Digest.objects.home()
    digest = Digest(
        slug=slug, name=name, categories=_words(categories),
        title_pattern=title_pattern or Digest._meta.get_field("title_pattern").default,
        include_keywords=_words(include_keywords), exclude_keywords=_words(exclude_keywords),
        cross_lists=cross_lists or Digest.CrossLists.INCLUDE, anchor=anchor or home.anchor,
        time_zone=time_zone or home.time_zone, export_dir=export_dir, description=description,
        position=(Digest.objects.order_by("-position").values_list("position", flat=True).first() or 0) + 1,
    )
    digest.full_clean()
    digest.save()
    return digest


def validation_line(error: ValidationError) -> str:
    """A ValidationError as one line: "slug: … ; categories: …"."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
