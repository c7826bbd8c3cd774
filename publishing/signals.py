"""Signals publishing sends; other apps (delivery, the public site) listen without publishing knowing them."""

import django.dispatch

# Sent after a publish or unpublish committed; `day` is the DigestDay.
day_publication_changed = django.dispatch.Signal()

# Sent by `install_schedule` after it installed publishing's own Schedules; a receiver installs its
# app's Schedules and returns a line saying what it did, which the command prints.
schedules_installing = django.dispatch.Signal()

# Sent after a day's status changed, once committed: `transition_id` (its DayTransition), `from_status`,
# `to_status`, `step`. The newsroom tells its people of the moves they wait for (newsroom/receivers.py).
day_status_changed = django.dispatch.Signal()

# Sent at the end of each publishing sweep (every DIGEST_WATCHDOG_MINUTES) with `now`: an app above
# publishing does its own periodic work then and returns a line saying what it did.
publishing_swept = django.dispatch.Signal()
