#!/usr/bin/env bash
# The Procfile's worker: a django-q2 cluster, stopped the way it expects.
#
# honcho stops a process by sending SIGTERM to its whole process group, then SIGKILL 5 s later.
# A cluster whose processes all get SIGTERM at once never finishes stopping (its sentinel dies
# while the main process waits for it) and is killed mid-task. Here the cluster runs in a process
# group of its own (set -m) and only its main process gets the signal: it stops taking tasks, lets
# the running ones end and exits (about 3 s when idle). A task still running when honcho's 5 s are
# up goes on to its end in the cluster, which exits after it; honcho does not wait for it.
set -m
.venv/bin/python manage.py qcluster &
cluster=$!
trap 'kill -TERM "$cluster" 2>/dev/null' TERM INT
status=0
while kill -0 "$cluster" 2>/dev/null; do
  wait "$cluster"
  status=$?
done
exit "$status"
