"""Settings for arxiv-digest, read from the environment (see README, "Settings").

Every variable has a safe default except SECRET_KEY outside DEBUG. A bad value
raises ImproperlyConfigured naming the variable, so start-up stops with a
message instead of running misconfigured.
"""

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from digest_site import __version__
from digest_site.env import (
    env_addresses,
    env_bool,
    env_cache,
    env_choice,
    env_dates,
    env_float,
    env_int,
    env_list,
    env_name,
    env_path,
    env_str,
    env_time,
    env_timezone,
    env_url,
)
from digest_site.log_format import TEXT_FORMAT

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DIGEST_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (or set DEBUG=1 for development)")
    SECRET_KEY = "development-only-secret-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [], pattern=r"https?://\S+")

INSTALLED_APPS = [
    # Django's admin, with the newsroom's site (editorial roles let people in; the site's name).
    "newsroom.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # The project's wiring (before django_q: its `qcluster` checks the migrations, then runs django-q2's).
    "digest_site",
    "django_q",
    "digests",
    "papers",
    "translations",
    "publishing",
    "newsroom",
    "delivery",
    "monitoring",
    "public",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Published pages written out as files (public/archive_files/): served from disk before any other
    # work; a page with no file goes on to its view (settings below, DIGEST_STATIC_ARCHIVE_DIR).
    "public.archive_files.serving.ArchiveFilesMiddleware",
    # Static files from the app itself (no web server needed for the admin's CSS); before the
    # others, so a stylesheet costs no session or locale work.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL in the path, a cookie or an admin query: 400 before any database sees it (digest_site/nul_guard.py).
    "digest_site.nul_guard.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "digest_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "public.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "digest_site.wsgi.application"
ASGI_APPLICATION = "digest_site.asgi.application"

# Database: SQLite under var/ unless DATABASE_URL names another (postgres://…).
_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
    except (ValueError, dj_database_url.UnknownSchemeError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL this project understands: {exc}") from None
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers and the web process share the file: wait for locks rather than fail, take the
    # write lock at BEGIN so two writers never deadlock on upgrade, and let readers run
    # beside a writer (WAL). A connection is kept for a minute, as on PostgreSQL: opening one
    # (the pragmas, Django's functions) cost a worker about 3 ms of CPU per task, since
    # django-q2 closes old connections before each. A restore stops every process first
    # (docs/operations.md), so none holds a connection to the file that was there before.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache: what every web process must count together (the subscription form's rate limits). It must be
# shared, or each gunicorn worker and each machine keeps its own count. The database's cache table by
# default, for every deployment: the number of web processes is not known here (gunicorn's --workers is
# on its command line), and the database is the one service every process already shares. Redis when
# named; one process's memory (locmem://) only for development with one process.
CACHES = {"default": env_cache("DIGEST_CACHE_URL", "db://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts the files WhiteNoise serves; the container image collects them at build
# time into a folder of its own, outside the data volume.
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Outside DEBUG: names with a content hash (cached for ever by browsers) and gzip / Brotli
    # copies, made by collectstatic; a page naming a file collectstatic did not see fails loudly.
    # Under DEBUG the files come straight from the apps, with no collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: strict by default outside DEBUG; a proxy terminating TLS sets the header below.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A load balancer probes the process over plain HTTP: the probes answer there, never a redirect to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    # Probes (a container's healthcheck, a monitor on the machine) ask over plain HTTP and want
    # the answer, not a redirect to HTTPS.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if env_bool("USE_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # For a proxy that sends the browser's host in X-Forwarded-Host instead of passing Host on:
    # the CSRF check compares the browser's Origin (with its port) with the host Django sees.
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)

# Every line carries its time, level and logger; LOG_FORMAT=json writes one JSON object per line.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", {"text", "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": TEXT_FORMAT},
        "json": {"()": "digest_site.log_format.JsonLineFormatter"},
    },
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        # Django's error mails to ADMINS (a request that ended in a 500), as in Django's own defaults.
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["require_debug_false"]},
    },
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "info", {"debug", "info", "warning", "error"}).upper()},
    "loggers": {
        # Django's own console handler would print its messages a second time beside the root's.
        "django": {"handlers": ["mail_admins"], "propagate": True},
        # runserver's request lines, in the same format as every other line.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A line per HTTP request drowns the commands' one-line summaries; failures are reported by the callers.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
# Who gets Django's error mails: "Name <someone@example.org>, other@example.org".
ADMINS = env_addresses("DJANGO_ADMINS")

# --- The digest ---------------------------------------------------------------
# The settings below describe the first digest (digests.Digest): an installation migrates into it, and a
# new one starts with it. Further digests, and this one's later changes, are made in the admin or with
# `add_digest`; from then on these settings only seed a digest that does not exist yet.
DIGEST_FIRST_SLUG = env_name("DIGEST_FIRST_SLUG", "daily", max_length=40)
if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", DIGEST_FIRST_SLUG):
    raise ImproperlyConfigured(f"DIGEST_FIRST_SLUG must be lower-case letters, digits and hyphens, not {DIGEST_FIRST_SLUG!r}")
DIGEST_FIRST_NAME = env_str("DIGEST_FIRST_NAME", "arXiv Daily")
ARXIV_CATEGORY_PATTERN = r"[a-z]+(-[a-z]+)?(\.[A-Za-z]+(-[a-z]+)?)?"
DIGEST_CATEGORIES = env_list("DIGEST_CATEGORIES", ["cs.SD", "eess.AS"], pattern=ARXIV_CATEGORY_PATTERN)
if not DIGEST_CATEGORIES:
    raise ImproperlyConfigured("DIGEST_CATEGORIES must name at least one arXiv category, e.g. cs.SD,eess.AS")
DIGEST_ANCHOR = env_time("DIGEST_ANCHOR", "08:50")
DIGEST_TIMEZONE = env_timezone("DIGEST_TIMEZONE", "Asia/Shanghai")
# How far back each collection looks for papers no day holds yet; covers weekends,
# holidays, late API visibility and missed runs.
DIGEST_LOOKBACK_DAYS = env_int("DIGEST_LOOKBACK_DAYS", 7, minimum=1)
DIGEST_PRIMARY_ONLY = env_bool("DIGEST_PRIMARY_ONLY", False)
DIGEST_INCLUDE_KEYWORDS = env_list("DIGEST_INCLUDE_KEYWORDS", [])
DIGEST_EXCLUDE_KEYWORDS = env_list("DIGEST_EXCLUDE_KEYWORDS", [])
# Which announcements enter a day. Adding replace / replace-cross makes a new
# version of a paper re-enter the digest; by default it only updates the paper.
DIGEST_ANNOUNCE_TYPES = env_list(
    "DIGEST_ANNOUNCE_TYPES", ["new", "cross"], pattern=r"new|cross|replace|replace-cross"
)
# arXiv's announcements (20:00 US Eastern, Sunday–Thursday) show up in the API
# within hours; a fetch this long after one that finds nothing is flagged stale.
DIGEST_VISIBILITY_GRACE_HOURS = env_float("DIGEST_VISIBILITY_GRACE_HOURS", 4.0, minimum=0)
# US Eastern dates on which arXiv made no announcement (holidays), YYYY-MM-DD.
DIGEST_ARXIV_HOLIDAYS = env_dates("DIGEST_ARXIV_HOLIDAYS")

ARXIV_API_URL = env_str("ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_RSS_URL = env_str("ARXIV_RSS_URL", "https://rss.arxiv.org/rss")
ARXIV_API_DELAY = env_float("ARXIV_API_DELAY", 3.0, minimum=0)
ARXIV_API_PAGE_SIZE = env_int("ARXIV_API_PAGE_SIZE", 200, minimum=1)
ARXIV_HTTP_TIMEOUT = env_float("ARXIV_HTTP_TIMEOUT", 30.0, minimum=0.1)
ARXIV_HTTP_RETRIES = env_int("ARXIV_HTTP_RETRIES", 3, minimum=0)
ARXIV_HTTP_BACKOFF = env_float("ARXIV_HTTP_BACKOFF", 5.0, minimum=0)
ARXIV_EMPTY_PAGE_RETRIES = env_int("ARXIV_EMPTY_PAGE_RETRIES", 3, minimum=0)
ARXIV_USER_AGENT = env_str(
    "ARXIV_USER_AGENT",
    f"arxiv-digest/{__version__} (editorial daily digest of new arXiv papers; "
    + (f"mailto:{env_str('ARXIV_CONTACT_EMAIL')}" if env_str("ARXIV_CONTACT_EMAIL") else "no contact set")
    + ")",
)

# --- Background workers (django-q2) ------------------------------------------
Q_REDIS_URL = env_str("Q_REDIS_URL")
Q_CLUSTER = {
    # Clusters sharing a queue share a name; tests and benchmarks use their own.
    "name": env_str("Q_NAME", "arxiv-digest"),
    # One worker per concurrent LLM call by default.
    "workers": env_int("Q_WORKERS", env_int("DIGEST_LLM_CONCURRENCY", 4, minimum=1), minimum=1),
    "timeout": env_int("Q_TIMEOUT", 600, minimum=1),
    "retry": env_int("Q_RETRY", 720, minimum=2),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3, minimum=1),
    "catch_up": False,
    "label": "Django Q2",
}
if Q_CLUSTER["retry"] <= Q_CLUSTER["timeout"]:
    raise ImproperlyConfigured("Q_RETRY must be greater than Q_TIMEOUT, or tasks run twice")
if Q_REDIS_URL:
    Q_CLUSTER["redis"] = Q_REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Machine drafts (LLM) ---------------------------------------------------------
# Any OpenAI-compatible server: OpenAI, DeepSeek, Qwen (DashScope), vLLM, Ollama, ...
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
DIGEST_LLM_MODEL = env_str("DIGEST_LLM_MODEL")
DIGEST_LLM_TIMEOUT = env_float("DIGEST_LLM_TIMEOUT", 120.0, minimum=1)
DIGEST_LLM_CONCURRENCY = env_int("DIGEST_LLM_CONCURRENCY", 4, minimum=1)
# Retries of 429, 5xx, timeouts and connection errors (the openai client backs off, honouring Retry-After).
DIGEST_LLM_RETRIES = env_int("DIGEST_LLM_RETRIES", 3, minimum=0)
# json_schema (strict structured output) or json_object, for servers without json_schema.
DIGEST_LLM_RESPONSE_FORMAT = env_choice("DIGEST_LLM_RESPONSE_FORMAT", "json_schema", {"json_schema", "json_object"})
DIGEST_LLM_TEMPERATURE = env_float("DIGEST_LLM_TEMPERATURE", 0.2, minimum=0)
# A draft's task is killed after Q_TIMEOUT: it must outlast every try the LLM client makes.
if Q_CLUSTER["timeout"] < DIGEST_LLM_TIMEOUT * (DIGEST_LLM_RETRIES + 1):
    raise ImproperlyConfigured(
        f"Q_TIMEOUT ({Q_CLUSTER['timeout']} s) is shorter than DIGEST_LLM_TIMEOUT × (DIGEST_LLM_RETRIES + 1) "
        f"({DIGEST_LLM_TIMEOUT:g} × {DIGEST_LLM_RETRIES + 1} s): a slow LLM would be killed mid-draft; raise Q_TIMEOUT "
        "(and Q_RETRY above it) or lower DIGEST_LLM_TIMEOUT"
    )
# How often the watchdog looks for drafts no worker finished (install_schedule installs it).
DIGEST_WATCHDOG_MINUTES = env_int("DIGEST_WATCHDOG_MINUTES", 5, minimum=1)
# The prompt templates used for new drafts: translations/prompts/<version>/.
DIGEST_PROMPT_VERSION = env_str("DIGEST_PROMPT_VERSION", "draft-v2")
# A version this code lacks would queue drafts no worker of this version can write (they would wait
# for a newer one: translations.services.draft_left_for_newer_worker).
if not (BASE_DIR / "translations" / "prompts" / DIGEST_PROMPT_VERSION / "user.txt").is_file():
    raise ImproperlyConfigured(
        f"DIGEST_PROMPT_VERSION {DIGEST_PROMPT_VERSION!r} is not a prompt version of this code: choose one of the "
        "folders in translations/prompts/ (e.g. draft-v2)")
# Full text for grounding: arXiv's HTML rendering, else the PDF; cut to a budget of characters.
DIGEST_FULLTEXT = env_bool("DIGEST_FULLTEXT", True)
DIGEST_FULLTEXT_CHARS = env_int("DIGEST_FULLTEXT_CHARS", 60000, minimum=1000)
ARXIV_HTML_URL = env_str("ARXIV_HTML_URL", "https://arxiv.org/html")
ARXIV_PDF_URL = env_str("ARXIV_PDF_URL", "https://arxiv.org/pdf")

# Publishing: the exported post's file name is DATE + suffix + ".md" (the reference site's names end "-arxiv").
DIGEST_EXPORT_SUFFIX = env_str("DIGEST_EXPORT_SUFFIX", "-arxiv")
# When set, publishing also writes the post into this Jekyll `_posts` folder (and unpublishing removes it).
DIGEST_JEKYLL_POSTS_DIR = env_str("DIGEST_JEKYLL_POSTS_DIR")
DIGEST_SITE_TITLE = env_str("DIGEST_SITE_TITLE", "arXiv 每日论文速递")
# Webhook endpoints (and any address an editor configures) must be public: loopback, link-local and
# private addresses are refused at send time. On only where the receivers are on such an address on purpose.
DIGEST_WEBHOOK_ALLOW_PRIVATE = env_bool("DIGEST_WEBHOOK_ALLOW_PRIVATE", False)
# Where the site is reached from outside: links printed by commands (add_editor's set-password link) start with it.
# Unset, it is the development server's address: fine for the demo, wrong for links sent from a real site.
DIGEST_SITE_URL_DEFAULT = "http://127.0.0.1:8000"
DIGEST_SITE_URL = env_url("DIGEST_SITE_URL", DIGEST_SITE_URL_DEFAULT)
# Which instance of the site this is (default: DIGEST_SITE_URL without its scheme, e.g. digest.example.org).
# The database records the one instance that may mail readers and call webhooks; a copy restored elsewhere
# (staging, a laptop) holds them until an operator runs `enable_delivery` there (delivery/switch.py).
DIGEST_INSTANCE = env_name("DIGEST_INSTANCE", DIGEST_SITE_URL.split("://", 1)[1].lower(), max_length=200)
# How long a web process trusts its last look at which version of a day is live (0: look on every request).
DIGEST_PUBLIC_RECHECK_SECONDS = env_float("DIGEST_PUBLIC_RECHECK_SECONDS", 1.0, minimum=0)

# Where the published pages are written as files (compressed copies beside them) for the web server to send
# as they are: the app itself (public/archive_files/serving.py) or the proxy (deploy/nginx.conf, Caddyfile).
# "off": no files, every page from its view. On several machines it must be one folder they all share.
_static_archive_dir = env_str("DIGEST_STATIC_ARCHIVE_DIR")
DIGEST_STATIC_ARCHIVE_DIR = (None if _static_archive_dir.lower() == "off"
                             else env_path("DIGEST_STATIC_ARCHIVE_DIR", VAR_DIR / "public-archive"))

# --- The email edition ------------------------------------------------------------
# Django's own SMTP settings, from the environment. The demo writes mail to files (EMAIL_BACKEND=file,
# under var/mail/) or to the console instead of a server.
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}
EMAIL_BACKEND = _EMAIL_BACKENDS[env_choice("EMAIL_BACKEND", "smtp", set(_EMAIL_BACKENDS))]
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "arXiv 每日论文速递 <digest@localhost>")
# How long a confirmation link mailed to a new subscriber stays valid.
DIGEST_EMAIL_CONFIRM_HOURS = env_int("DIGEST_EMAIL_CONFIRM_HOURS", 48, minimum=1)
# Messages per sending task; each task opens one SMTP connection for its batch.
DIGEST_EMAIL_BATCH_SIZE = env_int("DIGEST_EMAIL_BATCH_SIZE", 100, minimum=1)
# Django's error mails (ADMINS) come from this address.
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Health, alerts to the team, metrics ----------------------------------------
# Who hears when something fails (an incident opens) and when it recovers: mail, and / or a chat webhook.
DIGEST_ALERT_EMAILS = env_addresses("DIGEST_ALERT_EMAILS")
DIGEST_ALERT_WEBHOOK_URL = env_url("DIGEST_ALERT_WEBHOOK_URL", "", query=True)
# The webhook's body: auto (from the address's host: Slack, Feishu / Lark, DingTalk, else generic JSON).
DIGEST_ALERT_WEBHOOK_KIND = env_choice("DIGEST_ALERT_WEBHOOK_KIND", "auto",
                                       {"auto", "generic", "slack", "feishu", "dingtalk"})
# The newsroom's deadline, HH:MM in the site's time (TIME_ZONE): a day still unpublished then is told to the
# chief editors (newsroom/notifications.py). Empty: no deadline.
DIGEST_PUBLISH_DEADLINE = env_time("DIGEST_PUBLISH_DEADLINE", "") if env_str("DIGEST_PUBLISH_DEADLINE") else None
# /metrics answers only with `Authorization: Bearer <this token>`; unset, /metrics is a 404.
DIGEST_METRICS_TOKEN = env_str("DIGEST_METRICS_TOKEN")

# --- Error reports (Sentry, or a server speaking its protocol) -------------------
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0)
if SENTRY_TRACES_SAMPLE_RATE > 1:
    raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, not {SENTRY_TRACES_SAMPLE_RATE:g}")
if SENTRY_DSN:
    from digest_site.error_reports import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)
