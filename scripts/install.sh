#!/usr/bin/env bash
# Make .venv (Python 3.11+; PYTHON=… chooses one) and install requirements.txt into it: what the
# site needs to run, gunicorn and honcho included. Run it again after an upgrade; it installs only
# when a requirements file changed.
source "$(dirname "$0")/_venv.sh" requirements.txt
echo "==> .venv is ready: $(.venv/bin/python --version)"
