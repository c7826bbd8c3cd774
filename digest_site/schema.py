"""Whether this code and the database agree on the schema; the web and the workers refuse to start
when they do not (docs/upgrading.md).

Two ways to disagree, both the mixed state an upgrade must not leave:
- migrations of this code not yet applied: new code reads columns that are not there;
- migrations applied that this code does not know: a newer version migrated the database (an upgrade
  half rolled back), and old code would write rows the new schema does not expect.
Checked when a process starts (`digest_site/wsgi.py`, `qcluster`), never at import or in an app's
ready(): there may be no database then, and `migrate` itself must run.
"""

from __future__ import annotations

import logging
import sys

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from digest_site import __version__

logger = logging.getLogger(__name__)

# How a web process that refuses to start exits: gunicorn halts ("App failed to load.") on a
# worker's 4 instead of starting worker after worker, and Django's autoreloader restarts on 3, not 4.
WEB_REFUSED_STATUS = 4
NAMED_AT_MOST = 3


def _named(migrations: list[str]) -> str:
    more = f" and {len(migrations) - NAMED_AT_MOST} more" if len(migrations) > NAMED_AT_MOST else ""
    return ", ".join(migrations[:NAMED_AT_MOST]) + more


def schema_problem(alias: str = DEFAULT_DB_ALIAS) -> str:
    """What stands between this code and the database's migrations, as one line; "" when they agree.

    Raises the database's error when it cannot be asked (the caller decides what that means)."""
    executor = MigrationExecutor(connections[alias])
    loader = executor.loader
    unapplied = [f"{migration.app_label}.{migration.name}"
                 for migration, _backwards in executor.migration_plan(loader.graph.leaf_nodes())]
    if unapplied:
        return (f"the database lacks {len(unapplied)} migration(s) of this code (arxiv-digest {__version__}): "
                f"{_named(unapplied)}; run `manage.py migrate` first")
    unknown = sorted(f"{app}.{name}" for app, name in loader.applied_migrations
                     if app in loader.migrated_apps and (app, name) not in loader.disk_migrations)
    if unknown:
        return (f"the database has migration(s) this code (arxiv-digest {__version__}) does not know: "
                f"{_named(unknown)}; a newer version migrated it: run that version, or migrate back with it "
                "before starting this one (docs/upgrading.md)")
    return ""


def web_start_check() -> None:
    """Refuse to serve, with one line and WEB_REFUSED_STATUS, from a database migrated for other code.

    A database that cannot be asked does not stop the start (it may come up after the web): the
    pages fail until it does, as they would anyway, and the line says the check was not made."""
    try:
        problem = schema_problem()
    except DatabaseError as exc:
        logger.warning("web: migrations not checked, the database did not answer (%s); starting anyway",
                       " ".join(str(exc).split()))
        return
    finally:
        connections.close_all()  # not handed to a forked process, nor kept open by a worker waiting for requests
    if problem:
        sys.stderr.write(f"web: refusing to start: {problem}\n")
        sys.stderr.flush()
        raise SystemExit(WEB_REFUSED_STATUS)
