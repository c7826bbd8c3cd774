"""The deployment recipes in deploy/ (docs/deploy.md), checked by the strongest means this machine has.

What runs here runs: `check --deploy` on the shipped environment, collectstatic as the image's build
does it, gunicorn reading its config, `systemd-analyze verify` on the units, `caddy adapt` on the
Caddyfile, the image's healthcheck against a server. What cannot (there is no Docker engine: no
`docker build`, no `compose up`) is read and checked against the settings and the other recipes.
deploy/smoke.py starts the one-machine path for real (honcho, gunicorn, a worker, nginx).
"""

import http.server
import json
import os
import re
import runpy
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import dj_database_url
import pytest
import yaml

from digest_site.env import env_file_values
from tests.settings import ENVIRONMENT_CLEANED, PROJECT_VARIABLES

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
SITE_ENV = DEPLOY / "site.env.example"
SETTINGS_DOC = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
DEPLOY_DOC = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
UNITS = DEPLOY / "systemd"


def clean_environment(**variables) -> dict:
    """The caller's environment without any of the site's variables, plus these."""
    project = set(PROJECT_VARIABLES) | {f"{name}_FILE" for name in PROJECT_VARIABLES}
    base = {k: v for k, v in os.environ.items() if k not in project and k not in (ENVIRONMENT_CLEANED, "DJANGO_SETTINGS_MODULE")}
    return {**base, **variables}


def shipped_environment(tmp_path, **overrides) -> dict:
    """deploy/site.env.example as a site runs it: with a secret of its own, and its files in tmp_path."""
    values = env_file_values(SITE_ENV)
    return clean_environment(**{**values, "SECRET_KEY": secrets.token_urlsafe(50), "DIGEST_VAR_DIR": str(tmp_path),
                                **overrides})


def manage(env, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *arguments], env=env, cwd=REPO, capture_output=True, text=True)


# --- the environment file ---------------------------------------------------------------------------

def test_the_shipped_environment_passes_check_deploy_with_no_warning(tmp_path):
    result = manage(shipped_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_hsts_on_subdomains_and_preload_check_deploy_warns(tmp_path):
    """The two warnings no variable could silence before: the file's values are what makes it clean."""
    env = shipped_environment(tmp_path, SECURE_HSTS_INCLUDE_SUBDOMAINS="0", SECURE_HSTS_PRELOAD="0")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W005" in result.stderr and "security.W021" in result.stderr


def test_the_shipped_environment_leaves_the_secret_to_the_site():
    assert env_file_values(SITE_ENV)["SECRET_KEY"] == ""


def test_every_variable_of_the_shipped_environment_is_a_documented_setting():
    for name in env_file_values(SITE_ENV):
        assert name in PROJECT_VARIABLES, name
        assert f"`{name}`" in SETTINGS_DOC, f"{name} is not in docs/settings.md"


def test_honcho_reads_the_shipped_environment_as_the_settings_reader_does():
    from honcho.environ import parse

    ours = {name: value for name, value in env_file_values(SITE_ENV).items() if value}  # honcho skips empty ones
    assert parse(SITE_ENV.read_text(encoding="utf-8")) == ours


# --- honcho and gunicorn ---------------------------------------------------------------------------

def procfile() -> dict[str, str]:
    from honcho.environ import parse_procfile

    return parse_procfile((DEPLOY / "Procfile").read_text(encoding="utf-8")).processes


def test_the_procfile_has_the_release_step_the_web_and_the_worker():
    processes = procfile()
    assert list(processes) == ["release", "web", "worker"]
    assert [re.search(r"manage\.py (\w+)", step)[1] for step in processes["release"].split("&&")] == [
        "migrate", "collectstatic", "install_schedule"]
    assert processes["web"] == "exec .venv/bin/gunicorn --config deploy/gunicorn.conf.py digest_site.wsgi"
    assert processes["worker"] == "exec deploy/worker.sh"
    assert ".venv/bin/python manage.py qcluster &" in (DEPLOY / "worker.sh").read_text(encoding="utf-8")


def test_gunicorn_reads_its_config_with_the_access_log_on(tmp_path):
    env = clean_environment(DEBUG="1", DIGEST_VAR_DIR=str(tmp_path))
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    # preload_app loads the site, whose start-up check wants a migrated database.
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], env=env, cwd=REPO,
                              capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    result = subprocess.run([gunicorn, "--config", "deploy/gunicorn.conf.py", "--print-config", "digest_site.wsgi"],
                            env=env, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    printed = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, flags=re.MULTILINE))
    assert printed["accesslog"] == "-"
    assert printed["preload_app"] == "True"  # the start-up check runs once, before the workers
    assert printed["bind"] == "['127.0.0.1:8000']"
    assert printed["control_socket_disable"] == "True"
    checked = subprocess.run([gunicorn, "--config", "deploy/gunicorn.conf.py", "--check-config", "digest_site.wsgi"],
                             env=env, cwd=REPO, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


# --- systemd ---------------------------------------------------------------------------------------

def unit(name: str) -> dict[str, list[str]]:
    """A unit file's settings, each name with all its values (ExecStart may come more than once)."""
    settings: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


UNIT_NAMES = ["arxiv-digest-release.service", "arxiv-digest-web.service", "arxiv-digest-worker.service"]


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_each_unit_runs_as_the_sites_user_with_the_sites_environment_file(name):
    settings = unit(name)
    assert settings["EnvironmentFile"] == ["/etc/arxiv-digest/site.env"]
    assert settings["User"] == ["arxiv-digest"] and settings["WorkingDirectory"] == ["/opt/arxiv-digest"]
    # DIGEST_VAR_DIR of deploy/site.env.example: the one folder ProtectSystem=strict leaves writable.
    assert settings["StateDirectory"] == ["arxiv-digest"]
    assert env_file_values(SITE_ENV)["DIGEST_VAR_DIR"] == "/var/lib/arxiv-digest"


def test_the_units_run_what_the_procfile_runs():
    venv = "/opt/arxiv-digest/.venv/bin/"
    release = [step.strip().replace(".venv/bin/", venv) for step in procfile()["release"].split("&&")]
    assert unit("arxiv-digest-release.service")["ExecStart"] == release
    assert unit("arxiv-digest-web.service")["ExecStart"] == [procfile()["web"].removeprefix("exec ").replace(".venv/bin/", venv)]
    assert unit("arxiv-digest-worker.service")["ExecStart"] == [f"{venv}python manage.py qcluster"]
    # SIGTERM to the main process only: gunicorn's master and the cluster's stop their own children.
    assert unit("arxiv-digest-worker.service")["KillMode"] == unit("arxiv-digest-web.service")["KillMode"] == ["mixed"]
    for name in ("arxiv-digest-web.service", "arxiv-digest-worker.service"):
        assert unit(name)["Requires"] == unit(name)["After"] == ["arxiv-digest-release.service"]


def test_systemd_analyze_verifies_the_units(tmp_path):
    """With this checkout standing in for /opt/arxiv-digest, so the commands it names exist."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("no systemd-analyze (Debian's systemd)")
    for name in UNIT_NAMES:
        text = (UNITS / name).read_text(encoding="utf-8").replace("/opt/arxiv-digest/.venv/bin/", f"{Path(sys.executable).parent}/")
        (tmp_path / name).write_text(text.replace("/opt/arxiv-digest", str(REPO)), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *(f"./{name}" for name in UNIT_NAMES)],
                            cwd=tmp_path, capture_output=True, text=True)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- the container image ---------------------------------------------------------------------------

def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions (continuation lines joined), one list per FROM."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, argument = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), argument.strip()))
    return stages


def test_the_image_is_built_in_two_stages_and_runs_as_a_user_without_privileges():
    build, run = dockerfile_stages()
    assert build[0] == ("FROM", "python:3.11-slim-bookworm AS build")
    assert run[0][1] == "python:3.11-slim-bookworm"
    users = [argument for instruction, argument in run if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [argument for instruction, argument in run if instruction == "COPY"] == [
        "--from=build /opt/venv /opt/venv", "--from=build /app /app"]
    # Nothing but the built stage's results reaches the image: no pip, no compiler run in it.
    assert not any(instruction == "RUN" and "pip" in argument for instruction, argument in run)
    assert ("CMD", '["gunicorn", "--config", "deploy/gunicorn.conf.py", "digest_site.wsgi"]') in run
    healthcheck = [argument for instruction, argument in run if instruction == "HEALTHCHECK"]
    assert healthcheck and healthcheck[0].endswith('CMD ["python", "deploy/healthcheck.py"]')


def test_what_the_image_copies_exists_and_local_state_stays_out():
    build, _ = dockerfile_stages()
    for instruction, argument in build:
        if instruction == "COPY":
            assert (REPO / argument.split()[0]).exists(), argument
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "var", "deploy/site.env", "deploy/secret_key", "deploy/.env"} <= set(ignored)


def test_collectstatic_as_the_image_build_runs_it_needs_no_database_and_hashes_and_compresses(tmp_path):
    build, _ = dockerfile_stages()
    [command] = [argument for instruction, argument in build if instruction == "RUN" and "collectstatic" in argument]
    words = shlex.split(command)
    assignments = dict(word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=\S*", word))
    arguments = words[words.index("manage.py") + 1:]
    static_root = tmp_path / "static"
    env = clean_environment(**{**assignments, "DIGEST_VAR_DIR": str(tmp_path / "var"), "STATIC_ROOT": str(static_root)})
    result = manage(env, *arguments)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css" and (static_root / hashed).exists() and (static_root / f"{hashed}.gz").exists()


class HealthzServer(http.server.BaseHTTPRequestHandler):
    """Answers /healthz 200 only as the site would: to an allowed host, over the proxy's HTTPS."""

    def do_GET(self):
        good = (self.path, self.headers["Host"], self.headers["X-Forwarded-Proto"]) == ("/healthz", "digest.example.org", "https")
        self.send_response(200 if good and self.server.healthy else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("healthy, exit_code", [(True, 0), (False, 1)])
def test_the_images_healthcheck_asks_healthz_as_the_proxy_would(monkeypatch, healthy, exit_code):
    server = http.server.HTTPServer(("127.0.0.1", 0), HealthzServer)
    server.healthy = healthy
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        healthcheck = runpy.run_path(str(DEPLOY / "healthcheck.py"))
        monkeypatch.setitem(healthcheck["main"].__globals__, "PORT", server.server_address[1])
        monkeypatch.setenv("ALLOWED_HOSTS", "digest.example.org,www.example.org")
        assert healthcheck["main"]() == exit_code
    finally:
        server.shutdown()
        server.server_close()


# --- compose ---------------------------------------------------------------------------------------

def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


SITE_SERVICES = ("release", "web", "worker")


def test_compose_runs_the_site_its_workers_postgresql_redis_and_caddy():
    services = compose()["services"]
    assert set(services) == {*SITE_SERVICES, "postgres", "redis", "caddy"}
    for name in SITE_SERVICES:
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert services[name]["image"] == "arxiv-digest:latest" and services[name]["env_file"] == ["site.env"]
    assert "qcluster" in services["worker"]["command"]
    assert re.fullmatch(r"python manage.py migrate --noinput && python manage.py install_schedule",
                        services["release"]["command"][-1])
    # Only the proxy is reachable from outside.
    assert [name for name, service in services.items() if "ports" in service] == ["caddy"]
    assert services["caddy"]["image"].startswith("caddy:") and services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_compose_starts_each_service_once_what_it_needs_is_healthy():
    services = compose()["services"]
    assert services["release"]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                                 "redis": {"condition": "service_healthy"}}
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {"release": {"condition": "service_completed_successfully"}}
    assert services["caddy"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py"]
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["release"]["healthcheck"] == services["worker"]["healthcheck"] == {"disable": True}


def test_compose_gives_the_site_settings_it_reads_pointing_at_its_own_services():
    document = compose()
    services = document["services"]
    environment = services["web"]["environment"]
    for name in environment:
        assert name in PROJECT_VARIABLES or name.removesuffix("_FILE") in PROJECT_VARIABLES, name
    # As compose fills in ${POSTGRES_PASSWORD:?…}.
    database = dj_database_url.parse(re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", "s3cret", environment["DATABASE_URL"]))
    postgres = services["postgres"]["environment"]
    assert (database["HOST"], database["NAME"], database["USER"], database["PASSWORD"]) == (
        "postgres", postgres["POSTGRES_DB"], postgres["POSTGRES_USER"], "s3cret")
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert environment["Q_REDIS_URL"].startswith("redis://redis:6379/")
    assert environment["SECRET_KEY_FILE"] == "/run/secrets/secret_key" and "secret_key" in document["secrets"]
    # The data volume is where the settings keep their files, as in the image.
    assert f"site-data:{environment['DIGEST_VAR_DIR']}" in services["web"]["volumes"]
    image = dict(word.split("=", 1) for instruction, argument in dockerfile_stages()[1] if instruction == "ENV"
                 for word in shlex.split(argument))
    assert image["DIGEST_VAR_DIR"] == environment["DIGEST_VAR_DIR"]
    # The static files collected at build time are not hidden by the volume.
    assert not image["STATIC_ROOT"].startswith(environment["DIGEST_VAR_DIR"])
    assert image["GUNICORN_CMD_ARGS"] == "--bind 0.0.0.0:8000"
    # Caddy passes requests to the port the image's gunicorn listens on, with the file that exists.
    assert services["caddy"]["environment"]["DIGEST_UPSTREAM"] == "web:8000"
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]


def test_every_variable_compose_asks_for_is_documented():
    asked = set(re.findall(r"\$\{(\w+)", (DEPLOY / "compose.yaml").read_text(encoding="utf-8")))
    assert asked == {"POSTGRES_PASSWORD", "DIGEST_DOMAIN"}
    for name in asked:
        assert f"`{name}`" in DEPLOY_DOC, f"{name} is not in docs/deploy.md"


# --- the proxies -----------------------------------------------------------------------------------

def test_the_nginx_example_passes_the_host_with_its_port_and_the_scheme():
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_set_header Host $http_host;" in text  # $host would drop the port: CSRF fails on :8443
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "server 127.0.0.1:8000;" in text  # deploy/gunicorn.conf.py's bind


@pytest.mark.parametrize("upstream, expected", [(None, "web:8000"), ("127.0.0.1:8000", "127.0.0.1:8000")])
def test_caddy_reads_the_caddyfile_and_proxies_to_the_site(tmp_path, upstream, expected):
    if not shutil.which("caddy"):
        pytest.skip("no caddy (Debian's caddy)")
    env = {**os.environ, "DIGEST_DOMAIN": "digest.example.org", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    if upstream:
        env["DIGEST_UPSTREAM"] = upstream
    result = subprocess.run(["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile", "--validate"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    config = json.dumps(json.loads(result.stdout))
    assert '"host": ["digest.example.org"]' in config
    assert f'"upstreams": [{{"dial": "{expected}"}}]' in config
