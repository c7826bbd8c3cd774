"""Health a part above monitoring reports without monitoring importing it.

`archive_files_health_asked` is sent by monitoring's health report (monitoring/checks.py); the public site
answers (public/receivers.py) with a list of (subject, detail) problems of its archive files: the days whose
files could not be brought up to date, a folder it cannot write. Neither app imports the other; both import
this module, which imports no app.
"""

import django.dispatch

archive_files_health_asked = django.dispatch.Signal()
