#!/usr/bin/env bash
# Set up and run the test suite (SQLite by default; set DATABASE_URL=postgres://… for PostgreSQL).
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
