#!/usr/bin/env bash
# Set up and run arxiv-digest on the embedded default (SQLite, no server, no network):
# virtualenv, install, migrate, an admin account, the demo day from demo/, then the site.
source "$(dirname "$0")/_venv.sh" requirements.txt
export DEBUG=${DEBUG:-1}
ADDRESS=${ADDRESS:-127.0.0.1:8000}
DEMO_DATE=2026-01-09

echo "==> migrating the database (var/db.sqlite3 unless DATABASE_URL is set)"
.venv/bin/python manage.py migrate --verbosity 0
.venv/bin/python manage.py demo_admin
echo "==> collecting the demo day $DEMO_DATE from demo/arxiv-api-demo-$DEMO_DATE.xml"
.venv/bin/python manage.py fetch_papers --date "$DEMO_DATE" --file "demo/arxiv-api-demo-$DEMO_DATE.xml"
if [ -n "${DIGEST_LLM_MODEL:-}" ]; then
  echo "==> drafting with $DIGEST_LLM_MODEL at ${OPENAI_BASE_URL:-OpenAI}"
else
  echo "==> no LLM configured (DIGEST_LLM_MODEL unset): loading the hand-written demo drafts"
  .venv/bin/python manage.py load_demo_drafts --file "demo/drafts-$DEMO_DATE.json"
fi
.venv/bin/python manage.py translate_day --date "$DEMO_DATE" --sync
echo "==> approving the demo day (one entry left for you to review) and publishing it"
.venv/bin/python manage.py demo_publish --date "$DEMO_DATE"
.venv/bin/python manage.py digest_status --date "$DEMO_DATE"
echo "==> exporting the published day as a Jekyll post"
.venv/bin/python manage.py export_markdown --date "$DEMO_DATE" --out var/export
echo "==> serving: public site http://$ADDRESS/ · day http://$ADDRESS/days/$DEMO_DATE/ · admin http://$ADDRESS/admin/ (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "$ADDRESS"
