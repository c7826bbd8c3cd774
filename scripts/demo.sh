#!/usr/bin/env bash
# Set up and run arxiv-digest on the embedded default (SQLite, no server, no network):
# virtualenv, install, migrate, an admin account, the demo day from demo/, then the site.
# Run it again at will: what is done is skipped and what you changed is kept. `--reset` (or
# DEMO_RESET=1) deletes what the demo made (the SQLite database, the mail it wrote, the webhook
# log, the exported post) and starts over.
set -euo pipefail
usage="usage: ./scripts/demo.sh [--reset]"
reset=${DEMO_RESET:-0}
for argument in "$@"; do
  case "$argument" in
    --reset) reset=1 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
DEMO_DATE=2026-01-09

if [ "$reset" = 1 ]; then
  if [ -n "${DATABASE_URL:-}" ]; then
    # Only the demo's own SQLite file is ours to delete; a database named by DATABASE_URL may hold real work.
    echo "demo.sh --reset deletes only the default SQLite database; DATABASE_URL is set, so nothing was deleted." >&2
    echo "Drop and re-create that database yourself, or unset DATABASE_URL." >&2
    exit 1
  fi
  var="${DIGEST_VAR_DIR:-var}"
  database="$var/db.sqlite3"
  echo "==> starting over: deleting $database and what the demo wrote beside it"
  rm -f "$database" "$database-wal" "$database-shm"
  # Their links (confirmation, unsubscribe, the day) point into the database just deleted. Only
  # the demo's own files: the mail Django's file backend wrote (YYYYMMDD-HHMMSS-N.log), the
  # webhook receiver's log and the demo day's exported post; anything else in var/ stays.
  shopt -s nullglob
  mails=("$var"/mail/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]-*.log)
  shopt -u nullglob
  rm -f "${mails[@]}" "$var/demo-webhook.log" "$var/export/$DEMO_DATE${DIGEST_EXPORT_SUFFIX--arxiv}.md"
  echo "    deleted ${#mails[@]} mail files, the webhook log and the exported post"
fi

source scripts/_venv.sh requirements.txt
export DEBUG=${DEBUG:-1}
# The demo's mail (the reader's confirmation, the email edition) goes to files under var/mail/, not to a server.
export EMAIL_BACKEND=${EMAIL_BACKEND:-file}
ADDRESS=${ADDRESS:-127.0.0.1:8000}
# The demo's webhook receiver listens on 127.0.0.1, an address webhooks are otherwise refused.
export DIGEST_WEBHOOK_ALLOW_PRIVATE=${DIGEST_WEBHOOK_ALLOW_PRIVATE:-1}
# Links in the demo's mail and webhook bodies point at the demo's own server.
export DIGEST_SITE_URL=${DIGEST_SITE_URL:-http://$ADDRESS}

echo "==> migrating the database (var/db.sqlite3 unless DATABASE_URL is set)"
.venv/bin/python manage.py migrate --verbosity 0
.venv/bin/python manage.py demo_setup --date "$DEMO_DATE"
echo "==> serving: public site http://$ADDRESS/ · day http://$ADDRESS/days/$DEMO_DATE/ · admin http://$ADDRESS/admin/ (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "$ADDRESS"
