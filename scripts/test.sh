#!/usr/bin/env bash
# Set up and run the test suite (SQLite by default; set DATABASE_URL=postgres://… for PostgreSQL),
# on two processes (pytest-xdist), one per core: measured, a third or fourth process only adds
# its start-up and contention (docs/development.md). A later -n in the arguments wins: -n 0 runs
# one process.
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
exec .venv/bin/python -m pytest -n 2 "$@"
