"""Signals publishing sends; other apps (delivery, the public site) listen without publishing knowing them."""

import django.dispatch

# Sent after a publish or unpublish committed; `day` is the DigestDay.
day_publication_changed = django.dispatch.Signal()

# Sent by `install_schedule` after it installed publishing's own Schedules; a receiver installs its
# app's Schedules and returns a line saying what it did, which the command prints.
schedules_installing = django.dispatch.Signal()
