#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest_site.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import InterfaceError, OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A bad setting: one line naming the variable, not a traceback.
        sys.stderr.write(f"ImproperlyConfigured: {exc}\n")
        sys.exit(2)
    except (OperationalError, InterfaceError) as exc:
        # The database is unreachable, missing or went away: one line saying which and what to check.
        if "--traceback" in sys.argv:
            raise
        from digest_site.database_errors import database_error_hint, database_error_line

        sys.stderr.write(f"DatabaseError: {database_error_line(exc)}; {database_error_hint(exc)}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
