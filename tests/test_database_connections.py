"""How long a process keeps its database connection, with the site's own settings (not the tests')."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# What django-q2's worker does before each task (close_old_django_connections), then a query.
BETWEEN_TWO_TASKS = """
from django.db import close_old_connections, connection
connection.ensure_connection()
before = connection.connection
close_old_connections()
connection.ensure_connection()
print("kept" if connection.connection is before else "reopened")
"""


def test_a_worker_keeps_its_sqlite_connection_from_task_to_task(tmp_path):
    """Opening one (WAL pragma, Django's SQL functions) cost a worker about 3 ms of CPU per task."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DATABASE_URL"))}
    base.update(DEBUG="1", DIGEST_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="digest_site.settings")
    result = subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), "shell", "-c", BETWEEN_TWO_TASKS],
                            env=base, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "kept"
