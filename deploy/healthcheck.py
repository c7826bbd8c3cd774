"""The container's healthcheck: GET /healthz from inside the container, as the proxy would ask.

Exits 0 on a 200 answer, 1 otherwise. The request names the first of ALLOWED_HOSTS as its host (the
site answers no other) and says the proxy ended TLS, as Caddy does.
"""

import http.client
import os
import sys

PORT = 8000  # the image's GUNICORN_CMD_ARGS binds it


def host_to_ask() -> str:
    hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
    if not hosts or hosts[0] == "*":
        return "localhost"
    return hosts[0].lstrip(".")  # ".example.org" allows example.org itself


def main() -> int:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": host_to_ask(), "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: /healthz answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
