#!/usr/bin/env bash
# Set up and run the test suite (SQLite by default; set DATABASE_URL=postgres://… for PostgreSQL),
# on three processes (pytest-xdist): the tests mostly wait (for subprocesses, real workers, a
# browser), so three keep two cores busy. A later -n in the arguments wins: -n 0 runs one process.
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
exec .venv/bin/python -m pytest -n 3 "$@"
