#!/usr/bin/env bash
# One machine in one step (docs/deploy.md): install into .venv, run the release step (migrate,
# collectstatic, install_schedule), then the web and the workers under honcho until stopped
# (Ctrl-C or SIGTERM stops them all).
#   deploy/up.sh /etc/arxiv-digest/site.env
set -euo pipefail
usage="usage: deploy/up.sh ENV_FILE   (a copy of deploy/site.env.example, filled in)"
[ $# -eq 1 ] || { echo "$usage" >&2; exit 2; }
case "$1" in -h|--help) echo "$usage"; exit 0 ;; esac
# honcho starts without a file it cannot read, silently; refuse here instead.
[ -f "$1" ] && [ -r "$1" ] || { echo "deploy/up.sh: cannot read $1; $usage" >&2; exit 2; }
env_file=$(realpath "$1")
cd "$(dirname "$0")/.."
source scripts/_venv.sh requirements.txt
honcho=(.venv/bin/honcho --procfile deploy/Procfile --app-root . --env "$env_file" --no-colour)
echo "==> release: migrate, collectstatic, install_schedule"
"${honcho[@]}" start release
echo "==> web and worker (Ctrl-C stops both)"
exec "${honcho[@]}" start web worker
