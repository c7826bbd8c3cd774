"""Signals publishing sends; other apps (the public site) listen without publishing knowing them."""

import django.dispatch

# Sent after a publish or unpublish committed; `day` is the DigestDay.
day_publication_changed = django.dispatch.Signal()
