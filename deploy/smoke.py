"""CI's smoke test of the one-machine deployment, started exactly as docs/deploy.md says.

    .venv/bin/python deploy/smoke.py

1. Makes a site environment from deploy/site.env.example with only what a site changes (its secret,
   host, database, Redis, folders, ports), on PostgreSQL at 127.0.0.1:5432 (a database of its own,
   arxiv_digest_smoke, made afresh, dropped after a run that passed) and Redis at 127.0.0.1:6379 as
   the broker, in database 14, which it owns: it empties that database, and no other, before and after.
2. Runs the command docs/deploy.md gives for one machine, read from the page itself
   (`./deploy/up.sh /etc/arxiv-digest/site.env`, with its own file): install, the release step, then
   gunicorn and a qcluster worker under honcho.
3. Puts nginx in front with deploy/nginx.conf (TLS on a port other than 443, with a certificate it
   makes), when nginx is installed; otherwise it says so and talks to gunicorn as the proxy would.
4. Checks, through the proxy: /healthz and /readyz (200 where the route exists; a 404 is reported
   as not there yet and skipped), a static file, the admin's login page, a real login POST with its
   CSRF token and the browser's Origin; a scheduled job run by the worker (the schedules
   install_schedule made, and a one-off Schedule of math.hypot(3, 4) made here), read in
   django_q's tasks.
5. Stops everything with SIGTERM, as an operator would, and checks that no process is left.

It prints a line per check and ends with `smoke: N passed, N failed`; the exit status is 1 when a
check failed. Logs stay in the folder it names when something failed.
"""

import argparse
import http.client
import http.cookies
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
import redis  # noqa: E402

from digest_site.env import env_file_values  # noqa: E402

DOCUMENTED_COMMAND = "./deploy/up.sh /etc/arxiv-digest/site.env"
DOCUMENTED_ENV_FILE = "/etc/arxiv-digest/site.env"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
DATABASE = "arxiv_digest_smoke"
REDIS_URL = "redis://127.0.0.1:6379/14"  # the smoke's own database: tests/publishing uses 15
Q_NAME = "arxiv-digest-smoke"
START_TIMEOUT = 180  # install (when requirements changed) + release + gunicorn's boot
JOB_TIMEOUT = 120  # the cluster's scheduler looks every 30 s


class Abort(Exception):
    """A step the others need failed."""


class Checks:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, what: str):
        self.passed += 1
        print(f"ok    {what}", flush=True)

    def skip(self, what: str):
        self.skipped += 1
        print(f"skip  {what}", flush=True)

    def fail(self, what: str):
        self.failed += 1
        print(f"FAIL  {what}", flush=True)

    def expect(self, condition: bool, what: str, detail: str = ""):
        if condition:
            self.ok(what)
        else:
            self.fail(f"{what}{': ' + detail if detail else ''}")
        return condition


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def documented_command(env_file: Path) -> str:
    """The one-machine command of docs/deploy.md, with this run's environment file."""
    page = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", page, flags=re.DOTALL)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    if DOCUMENTED_COMMAND not in lines:
        raise SystemExit(f"smoke: docs/deploy.md no longer says `{DOCUMENTED_COMMAND}`; update deploy/smoke.py with it")
    return DOCUMENTED_COMMAND.replace(DOCUMENTED_ENV_FILE, shlex.quote(str(env_file)))


def write_env_file(path: Path, values: dict[str, str]):
    lines = [f'{name}="{value}"' if " " in value else f"{name}={value}" for name, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file_values(path)  # the form every reader agrees on


class Client:
    """HTTP(S) to one address, keeping cookies as a browser does; every request says the Host it was given."""

    def __init__(self, port: int, *, tls: bool, forwarded_proto: str | None = None):
        self.port, self.tls, self.forwarded_proto = port, tls, forwarded_proto
        self.cookies: dict[str, str] = {}
        self.host = f"127.0.0.1:{port}"

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def request(self, method: str, path: str, *, body: dict | None = None, headers: dict | None = None):
        if self.tls:
            connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                                     context=ssl._create_unverified_context())
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": self.host, **(headers or {})}
        if self.forwarded_proto:
            sent["X-Forwarded-Proto"] = self.forwarded_proto
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        encoded = None
        if body is not None:
            encoded = urllib.parse.urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=encoded, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content


def wait_for(predicate, timeout: float, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


def answers(client: Client, path: str):
    try:
        return client.request("GET", path)[0].status
    except OSError:
        return None


def start_nginx(workdir: Path, proxy_port: int, redirect_port: int, web_port: int) -> subprocess.Popen | None:
    """nginx with deploy/nginx.conf, its names, ports and certificate made this run's."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx or not shutil.which("openssl"):
        return None
    prefix = workdir / "nginx"
    prefix.mkdir()
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / temp).mkdir()
        (prefix / temp).chmod(0o777)  # nginx's workers write there as nobody when it runs as root
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", prefix / "key.pem", "-out", prefix / "cert.pem"], check=True, capture_output=True)
    site = (REPO / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for shipped, here in {
        "listen 80;": f"listen 127.0.0.1:{redirect_port};",
        "listen [::]:80;": "",
        "listen 443 ssl;": f"listen 127.0.0.1:{proxy_port} ssl;",
        "listen [::]:443 ssl;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{web_port};",
        "/etc/letsencrypt/live/digest.example.org/fullchain.pem": str(prefix / "cert.pem"),
        "/etc/letsencrypt/live/digest.example.org/privkey.pem": str(prefix / "key.pem"),
        # The archive's files: the site's DIGEST_VAR_DIR (main() below), and the snippet from the checkout.
        "root /var/lib/arxiv-digest/public-archive;": f"root {workdir / 'var' / 'public-archive'};",
        "/etc/nginx/snippets/arxiv-digest-archive.conf": str(REPO / "deploy" / "nginx-archive.conf"),
    }.items():
        if shipped not in site:
            raise SystemExit(f"smoke: deploy/nginx.conf no longer has `{shipped}`; update deploy/smoke.py")
        site = site.replace(shipped, here)
    (prefix / "site.conf").write_text(site, encoding="utf-8")
    temps = " ".join(f"{temp}_temp_path {prefix / temp};" for temp in ("proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(
        f"daemon off; worker_processes 1; pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'};\n"
        f"events {{}}\n"
        f"http {{ access_log {prefix / 'access.log'}; client_body_temp_path {prefix / 'body'}; {temps}\n"
        f"  include {prefix / 'site.conf'}; }}\n",
        encoding="utf-8",
    )
    command = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    subprocess.run([*command, "-t", "-q"], check=True)
    return subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=open(prefix / "stderr.log", "wb"))


def processes_in_session(session: int) -> list[str]:
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields after the name: state, ppid, pgrp, session
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            left.append(f"{stat.parent.name} {command[:80]}")
    return left


def check_health(checks: Checks, client: Client, path: str, direct: Client):
    for how, who in (("through the proxy", client), ("on gunicorn, as a monitor on the machine asks", direct)):
        response, content = who.request("GET", path)
        if response.status == 404:
            checks.skip(f"{path} {how}: 404, the route is not there yet; required once it answers")
        else:
            checks.expect(response.status == 200, f"{path} {how} answers 200", f"{response.status} {content[:200]!r}")


def check_static(checks: Checks, client: Client):
    response, content = client.request("GET", "/static/admin/css/base.css", headers={"Accept-Encoding": "gzip"})
    checks.expect(response.status == 200 and response.getheader("Content-Type", "").startswith("text/css"),
                  "/static/admin/css/base.css answers 200 as text/css", f"{response.status} {response.getheader('Content-Type')}")
    checks.expect(response.getheader("Content-Encoding") == "gzip", "…compressed by collectstatic, served gzip",
                  str(response.getheader("Content-Encoding")))


def check_login(checks: Checks, client: Client, direct: Client, username: str, password: str):
    response, content = client.request("GET", "/admin/login/?next=/admin/")
    page = content.decode("utf-8", "replace")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    checks.expect(response.status == 200 and token and "csrftoken" in client.cookies,
                  "the admin's login page answers 200 with a CSRF token and cookie", f"{response.status}")
    hsts = response.getheader("Strict-Transport-Security", "")
    checks.expect("includeSubDomains" in hsts and "preload" in hsts, "…with HSTS on subdomains and preload", hsts)
    if not token:
        return
    form = {"csrfmiddlewaretoken": token[1], "username": username, "password": password, "next": "/admin/"}
    browser = {"Origin": client.origin, "Referer": f"{client.origin}/admin/login/?next=/admin/"}

    # What the issue saw: a proxy that drops the port from Host (nginx's $host) makes Django compare the
    # browser's Origin with the host alone, and refuse the login.
    portless = Client(direct.port, tls=False, forwarded_proto="https")
    portless.host, portless.cookies = "127.0.0.1", dict(client.cookies)
    refused, content = portless.request("POST", "/admin/login/?next=/admin/", body=form, headers=browser)
    checks.expect(refused.status == 403 and b"CSRF" in content,
                  "a login whose Host lost its port fails Django's CSRF check (403), as the issue saw",
                  f"{refused.status} {content[:200]!r}")

    response, _ = client.request("POST", "/admin/login/?next=/admin/", body=form, headers=browser)
    checks.expect(response.status == 302 and response.getheader("Location") == "/admin/" and "sessionid" in client.cookies,
                  f"a login POST to {client.origin} with the CSRF token is accepted", f"{response.status}")
    response, content = client.request("GET", "/admin/")
    checks.expect(response.status == 200 and username in content.decode("utf-8", "replace"),
                  "…and the admin's front page greets the user", str(response.status))


def check_scheduled_jobs(checks: Checks, run_command, database_url: str):
    with psycopg.connect(database_url, autocommit=True) as connection:
        installed = [row[0] for row in connection.execute("SELECT func FROM django_q_schedule ORDER BY func")]
    checks.expect("publishing.tasks.run_daily_task" in installed and "translations.tasks.drafts_watchdog_task" in installed,
                  "install_schedule (the release step) installed the daily job and the watchdog", str(installed))
    name = f"smoke {uuid.uuid4().hex[:8]}"
    run_command(["manage.py", "shell", "-c",
                 "from django.utils import timezone; from django_q.models import Schedule; "
                 f"Schedule.objects.create(name={name!r}, func='math.hypot', args='3, 4', "
                 "schedule_type=Schedule.ONCE, repeats=1, next_run=timezone.now())"])

    def ran():
        with psycopg.connect(database_url, autocommit=True) as connection:
            return connection.execute(
                "SELECT task.success, task.func FROM django_q_schedule schedule "
                "JOIN django_q_task task ON task.id = schedule.task WHERE schedule.name = %s", [name]).fetchone()

    started = time.monotonic()
    result = wait_for(ran, JOB_TIMEOUT, interval=2)
    checks.expect(result == (True, "math.hypot"),
                  f"the worker ran a one-off Schedule (math.hypot) through Redis in {time.monotonic() - started:.0f} s",
                  f"nothing in django_q's tasks after {JOB_TIMEOUT} s" if result is None else str(result))
    with psycopg.connect(database_url, autocommit=True) as connection:
        watchdog = connection.execute("SELECT success FROM django_q_task WHERE func = %s",
                                      ["translations.tasks.drafts_watchdog_task"]).fetchall()
    checks.expect(watchdog == [(True,)], "…and the drafts' watchdog that install_schedule scheduled", str(watchdog))


def stop(process: subprocess.Popen, name: str, checks: Checks, timeout: float = 30):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        checks.fail(f"{name} still running {timeout:.0f} s after SIGTERM; killing its processes")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return
    none_left = wait_for(lambda: not processes_in_session(process.pid), 10, 0.2)
    checks.expect(bool(none_left), f"{name} stopped on SIGTERM and left no process",
                  "; ".join(processes_in_session(process.pid)))
    if not none_left:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    started = time.monotonic()
    checks = Checks()
    workdir = Path(tempfile.mkdtemp(prefix="arxiv-digest-smoke-"))
    workdir.chmod(0o755)  # nginx's workers (nobody) reach their temp folders through it
    web_port, proxy_port, redirect_port = free_port(), free_port(), free_port()
    database_url = f"{POSTGRES}/{DATABASE}"

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()

    site = {
        **env_file_values(REPO / "deploy" / "site.env.example"),
        # What a site fills in or changes; everything else stays as shipped.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DIGEST_SITE_URL": f"https://127.0.0.1:{proxy_port}",
        "DATABASE_URL": database_url,
        "Q_REDIS_URL": REDIS_URL,
        "Q_NAME": Q_NAME,
        "Q_WORKERS": "2",
        "DIGEST_VAR_DIR": str(workdir / "var"),
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{web_port} --workers 2",
    }
    env_file = workdir / "site.env"
    write_env_file(env_file, site)
    command = documented_command(env_file)
    print(f"smoke: {command}  (in {REPO}; logs in {workdir})", flush=True)
    clean = {k: v for k, v in os.environ.items() if k not in site and not k.startswith("DJANGO_")}
    up = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=REPO, env=clean, start_new_session=True,
                          stdout=open(workdir / "up.log", "wb"), stderr=subprocess.STDOUT)
    nginx = None
    direct = Client(web_port, tls=False, forwarded_proto="https")  # as the proxy asks gunicorn

    def run_command(arguments):
        """A manage.py command with the site's environment, as docs/deploy.md runs them (honcho run)."""
        result = subprocess.run([".venv/bin/honcho", "--env", str(env_file), "run", ".venv/bin/python", *arguments],
                                cwd=REPO, env=clean, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(arguments[:2])} failed: {result.stderr[-2000:]}")
        return result

    try:
        if not wait_for(lambda: up.poll() is None and answers(direct, "/robots.txt") == 200, START_TIMEOUT):
            raise Abort(f"gunicorn did not answer within {START_TIMEOUT} s (exit status {up.poll()})")
        checks.ok(f"up.sh installed, migrated and started gunicorn and the worker in {time.monotonic() - started:.0f} s")
        nginx = start_nginx(workdir, proxy_port, redirect_port, web_port)
        if nginx:
            client = Client(proxy_port, tls=True)
            if not wait_for(lambda: answers(client, "/robots.txt") == 200, 20, 0.2):
                raise Abort("nginx with deploy/nginx.conf did not answer")
            checks.ok(f"nginx with deploy/nginx.conf ends TLS on 127.0.0.1:{proxy_port}")
        else:
            client = direct
            checks.skip("no nginx (Debian's nginx-light): talking to gunicorn as the proxy would")

        password = secrets.token_urlsafe(16)
        run_command(["manage.py", "createsuperuser", "--noinput", "--username", "smoke", "--email", "smoke@example.org"])
        run_command(["manage.py", "shell", "-c", "from django.contrib.auth.models import User; "
                     f"u = User.objects.get(username='smoke'); u.set_password({password!r}); u.save()"])
        check_health(checks, client, "/healthz", direct)
        check_health(checks, client, "/readyz", direct)
        check_static(checks, client)
        check_login(checks, client, direct, "smoke", password)
        check_scheduled_jobs(checks, run_command, database_url)
    except Exception as exc:  # a failed start or a crash is a failed check, and everything is still stopped
        checks.fail(f"{type(exc).__name__}: {exc}")
    finally:
        if nginx:
            stop(nginx, "nginx", checks)
        if up.poll() is None:
            stop(up, "honcho (gunicorn and the worker)", checks)
        else:
            checks.fail(f"up.sh ended early with status {up.returncode}")
        broker.flushdb()
        if not checks.failed:  # a failed run's database stays for a look, until the next run
            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    return finish(checks, workdir, started)


def finish(checks: Checks, workdir: Path, started: float) -> int:
    if checks.failed:
        print(f"smoke: logs kept in {workdir}:", flush=True)
        print("".join((workdir / "up.log").read_text(errors="replace").splitlines(keepends=True)[-40:]), flush=True)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"smoke: took {time.monotonic() - started:.0f} s", flush=True)
    print(f"smoke: {checks.passed} passed, {checks.failed} failed, {checks.skipped} skipped", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
