"""Strict readers for settings that come from the environment.

Each reader returns a typed value or raises ImproperlyConfigured naming the
variable, so a bad value stops start-up with a message an operator can act on.
Secrets can also come from a file: `NAME_FILE=/run/secrets/name`.
"""

import datetime as dt
import email.utils
import os
import re
import zoneinfo
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            with open(file_path, encoding="utf-8") as secret_file:
                return secret_file.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_path}: {exc.strerror}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None or not value.strip():
        return default
    try:
        number = float(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: list[str], *, pattern: str | None = None) -> list[str]:
    """A comma-separated list; blanks dropped, order kept, duplicates removed."""
    value = _raw(name)
    if value is None:
        return list(default)
    items: list[str] = []
    for item in (part.strip() for part in value.split(",")):
        if not item or item in items:
            continue
        if pattern and not re.fullmatch(pattern, item):
            raise ImproperlyConfigured(f"{name}: {item!r} is not valid (expected {pattern})")
        items.append(item)
    return items


def env_time(name: str, default: str) -> dt.time:
    value = env_str(name, default)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ImproperlyConfigured(f"{name} must be a time as HH:MM (24-hour), not {value!r}")
    return dt.time(int(match[1]), int(match[2]))


def env_timezone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} must be an IANA time zone such as Asia/Shanghai, not {value!r}") from None
    return value


def env_dates(name: str) -> list[dt.date]:
    dates = []
    for item in env_list(name, []):
        try:
            dates.append(dt.date.fromisoformat(item))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a date as YYYY-MM-DD") from None
    return dates


def env_path(name: str, default: Path) -> Path:
    """An absolute path: every process (web, workers, commands, a unit's WorkingDirectory) must mean the same place."""
    value = env_str(name)
    if not value:
        return default
    if not Path(value).is_absolute():
        raise ImproperlyConfigured(f"{name} must be an absolute path such as /var/lib/arxiv-digest/static, not {value!r}")
    return Path(value)


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default).lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(sorted(choices))}, not {value!r}")
    return value


def env_name(name: str, default: str, *, max_length: int = 100) -> str:
    """A name of one word: printable, no spaces, at most `max_length` characters (e.g. digest.example.org);
    unset or empty: the default."""
    value = env_str(name) or default
    if not value or len(value) > max_length or not re.fullmatch(r"\S+", value) or not value.isprintable():
        raise ImproperlyConfigured(
            f"{name} must be one word of at most {max_length} characters with no spaces, such as "
            f"digest.example.org or staging, not {value!r}"
        )
    return value


def env_url(name: str, default: str, *, query: bool = False) -> str:
    """An http(s) address with a host, e.g. https://digest.example.org; without a trailing slash and, unless
    `query`, without a query (a webhook's address may carry one: DingTalk's access_token).
    With an empty default the variable is optional: unset or empty gives ""."""
    value = env_str(name, default)
    if not value and not default:
        return ""
    path = r"(/[^?#\s]*)?(\?[^#\s]*)?" if query else r"(/[^?#\s]*)?"
    if not re.fullmatch(r"https?://[^/?#\s]+" + path, value):
        raise ImproperlyConfigured(
            f"{name} must be an http:// or https:// address such as https://digest.example.org, not {value!r}"
        )
    return value if query else value.rstrip("/")


# NAME=value, the value bare or in double quotes (for spaces); nothing that one reader expands
# and another keeps ($, backslashes, single quotes, backquotes).
_ENV_FILE_LINE = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*)=(?:([^\s"'`\\$#]*)|"([^"'`\\$]*)")""")


def env_file_values(path: Path) -> dict[str, str]:
    """The variables of an environment file such as deploy/site.env.example, in the one form that
    honcho (`-e`), systemd (`EnvironmentFile=`) and docker compose (`env_file:`) read alike:
    NAME=value lines, comments and blank lines; a value with spaces in double quotes. Any other
    line raises ImproperlyConfigured naming the file and the line."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_FILE_LINE.fullmatch(line)
        if not match:
            raise ImproperlyConfigured(
                f"{path}:{number}: not NAME=value, NAME=\"value with spaces\" or a comment "
                f"(no $, backslash or quotes inside a value): {line!r}"
            )
        name, bare, quoted = match.groups()
        if name in values:
            raise ImproperlyConfigured(f"{path}:{number}: {name} is set twice")
        values[name] = quoted if quoted is not None else bare
    return values


def env_addresses(name: str) -> list[tuple[str, str]]:
    """Mail addresses as "Name <a@example.org>, b@example.org" → [("Name", "a@example.org"), ("", "b@example.org")]."""
    value = env_str(name)
    if not value:
        return []
    addresses = []
    for person, address in email.utils.getaddresses([value]):
        if not person and not address:  # a blank between commas
            continue
        if not re.fullmatch(r"[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+", address):
            raise ImproperlyConfigured(
                f"{name} must list mail addresses as 'Name <someone@example.org>, other@example.org', not {value!r}"
            )
        if address not in [known for _person, known in addresses]:
            addresses.append((person, address))
    return addresses


_CACHE_BACKENDS = {
    "db": "django.core.cache.backends.db.DatabaseCache",
    "redis": "django.core.cache.backends.redis.RedisCache",
    "rediss": "django.core.cache.backends.redis.RedisCache",
    "locmem": "django.core.cache.backends.locmem.LocMemCache",
}
# Django's database cache keeps its rows in this table (`migrate` makes it; so does `createcachetable`).
DATABASE_CACHE_TABLE = "digest_cache"


def env_cache(name: str, default: str) -> dict:
    """A cache named by a URL, as a CACHES entry: `db://` (the database's cache table), `redis://HOST:PORT/DB`
    (or `rediss://` with TLS), or `locmem://` (this process's memory only)."""
    value = env_str(name, default)
    scheme = value.partition("://")[0].lower() if "://" in value else ""
    if scheme in ("db", "locmem") and value.lower() == f"{scheme}://":
        return {"BACKEND": _CACHE_BACKENDS[scheme], "LOCATION": DATABASE_CACHE_TABLE if scheme == "db" else "digest"}
    if scheme in ("redis", "rediss") and re.fullmatch(r"rediss?://[^/\s?#]+(/[0-9]*)?", value, re.IGNORECASE):
        return {"BACKEND": _CACHE_BACKENDS[scheme], "LOCATION": value}
    raise ImproperlyConfigured(
        f"{name} must be db:// (the database's cache table), redis://HOST:PORT/DB or locmem:// (one process only), "
        f"not {value!r}"
    )
