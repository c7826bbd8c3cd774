"""A database failure said in one line, with what to check: for commands, and for a fetch's record."""

from __future__ import annotations

from django.db import connection


def database_error_line(exc: BaseException) -> str:
    """`exc` (a driver's error, often several lines long) as one line naming the database."""
    detail = " ".join(str(exc).split()) or exc.__class__.__name__
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        where = f"SQLite file {settings.get('NAME')}"
    else:
        where = f"{connection.vendor} database {settings.get('NAME')!r} at {settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 'default port'}"
    return f"{where}: {detail}"


def database_error_hint(exc: BaseException) -> str:
    text = str(exc)
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return "the database has no tables yet: run `manage.py migrate`"
    return "check DATABASE_URL (host, port, database name, user) and that the server runs; add --traceback for details"
