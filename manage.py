#!/usr/bin/env python
import os
import sys

# This project's packages: an exception class of theirs (DayStateError, PublishError, …) is a refusal
# written for people, said in one line like a CommandError. Python's own (KeyError, …) are bugs.
PROJECT_PACKAGES = {"papers", "translations", "publishing", "newsroom", "delivery", "public", "demo", "digest_site"}


def version_line() -> str:
    import platform

    import django

    from digest_site import __version__

    return f"arxiv-digest {__version__} (Django {django.get_version()}, Python {platform.python_version()})"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest_site.settings")
    if sys.argv[1:] == ["--version"]:
        print(version_line())
        return
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import InterfaceError, OperationalError, ProgrammingError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A bad setting: one line naming the variable, not a traceback.
        sys.stderr.write(f"ImproperlyConfigured: {exc}\n")
        sys.exit(2)
    except (OperationalError, InterfaceError, ProgrammingError) as exc:
        # The database is unreachable, missing, went away or has no tables: one line saying which and
        # what to check. Other programming errors are bugs and keep their traceback.
        missing_tables = "does not exist" in str(exc) and "relation" in str(exc)
        if "--traceback" in sys.argv or (isinstance(exc, ProgrammingError) and not missing_tables):
            raise
        from digest_site.database_errors import database_error_hint, database_error_line

        sys.stderr.write(f"DatabaseError: {database_error_line(exc)}; {database_error_hint(exc)}\n")
        sys.exit(1)
    except Exception as exc:
        if "--traceback" in sys.argv or type(exc).__module__.split(".")[0] not in PROJECT_PACKAGES:
            raise
        sys.stderr.write(f"{type(exc).__name__}: {' '.join(str(exc).split())}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
