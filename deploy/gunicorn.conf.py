"""gunicorn's settings wherever this repository starts the site: deploy/Procfile, the systemd
unit and the container image all run `gunicorn -c deploy/gunicorn.conf.py digest_site.wsgi`.

Change one without editing this file through GUNICORN_CMD_ARGS, whose flags win over these,
e.g. GUNICORN_CMD_ARGS="--bind 127.0.0.1:8001 --workers 9" (the image listens on 0.0.0.0:8000).
"""

import multiprocessing

# Only the proxy on the same machine reaches the site; it terminates TLS (docs/deploy.md).
bind = ["127.0.0.1:8000"]
# gunicorn's advice for its synchronous workers: two per core, and one.
workers = 2 * multiprocessing.cpu_count() + 1
# A line per request on standard output; the site's own log goes to standard error.
accesslog = "-"
# Longer than the slowest admin page (a day's preview), shorter than a proxy's usual 60 s.
timeout = 50
# Stop within systemd's and docker's stop timeouts; requests in flight get this long to finish.
graceful_timeout = 20
# gunicorn's runtime control socket is not used here, and its default path ($HOME/.gunicorn/) would
# be shared by every gunicorn of one user and is read-only under the systemd unit.
control_socket_disable = True
# Load the site once before the workers start, so the start-up check (a database migrated for other
# code) runs once and a refusal is one line, not one per worker (digest_site/schema.py).
preload_app = True
