"""Kinwell settings: one module, configured only by environment variables.

Every variable is documented in README.md and .env.example. Defaults give a safe,
single-machine instance (SQLite in WAL mode, in-memory channel layer, tasks run
in-process); DATABASE_URL and REDIS_URL switch to the scaled-out services.
"""

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DATA_DIR = Path(env_str("KINWELL_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("KINWELL_DEBUG")
# Under pytest the suite needs plain static storage and fast hashing; see tests.
TESTING = env_bool("KINWELL_TESTING") or "pytest" in sys.modules


def _secret_key() -> str:
    """Use KINWELL_SECRET_KEY, else a key generated once and kept in the data folder.

    Generating it on first start (instead of shipping a default) means no two
    instances ever share a key, and restarts keep sessions valid.
    """
    configured = env_str("KINWELL_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("KINWELL_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("KINWELL_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("KINWELL_SITE_URL", f"http://127.0.0.1:{env_int('KINWELL_PORT', 8000)}")
# Browsers reach WebSockets through nginx's /ws/ on the same origin at scale; locally
# `kinwell serve` runs the ASGI server on the next port and sets this.
WS_URL = env_str("KINWELL_WS_URL")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# KINWELL_SECURE=1 is the operator saying "TLS terminates in front of Kinwell" (nginx or a
# load balancer that sets X-Forwarded-Proto). Only then may browsers be told to insist on
# https: turning these on without TLS would lock everyone out.
SECURE = env_bool("KINWELL_SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
# Subdomains and the preload flag follow KINWELL_SECURE; an operator with subdomains not
# (yet) on https turns them off, and `check --deploy` then rightly warns.
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE and env_bool("KINWELL_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = SECURE and env_bool("KINWELL_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Two weeks from the last change to the session, then sign in again: long enough not to
# sign members out between weekly circle meetings, short enough that a forgotten shared
# device does not stay signed in for good.
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page uses are switched off (kinwell/core/middleware.py sends it).
PERMISSIONS_POLICY: list[tuple[str, list[str]]] = [
    (feature, [])
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "kinwell.core",
    "kinwell.accounts",
    "kinwell.safety",
    "kinwell.checkins",
    "kinwell.assessments",
    "kinwell.network",
    "kinwell.circles",
    "kinwell.coach",
    "kinwell.programs",
    "kinwell.care",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kinwell.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kinwell.accounts.middleware.MemberTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kinwell" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "kinwell.core.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# The ASGI entry point sets KINWELL_ASGI so that long-lived async workers use psycopg's
# pool: persistent connections leaked under ASGI in our measurements, not under WSGI.
IS_ASGI = env_bool("KINWELL_ASGI")


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kinwell.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                    # Tests share one in-memory database between the browser tests' page
                    # and socket server threads (shared cache), where a reader's table lock
                    # fails a writer at once ("database table is locked") instead of
                    # waiting; readers that take no table locks avoid that. Only shared
                    # cache reads this pragma, so files (and production) are unaffected.
                    + (" PRAGMA read_uncommitted=1;" if TESTING else "")
                ),
            },
            "TEST": {"NAME": env_str("KINWELL_TEST_SQLITE") or None},
            # Reuse each thread's connection: opening one runs the PRAGMAs every time.
            "CONN_MAX_AGE": 0 if TESTING else 600,
            "CONN_HEALTH_CHECKS": True,
        }
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            "DATABASE_URL must look like postgres://USER:PASSWORD@HOST:5432/NAME "
            f"(got scheme {parts.scheme or 'none'!r})"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("DATABASE_URL has a port that is not a number") from None
    name = parts.path.lstrip("/")
    if not parts.hostname and not name:
        raise ImproperlyConfigured("DATABASE_URL names neither a host nor a database")
    if not name:
        raise ImproperlyConfigured("DATABASE_URL must end with the database name, e.g. /kinwell")
    config: dict[str, object] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5},
    }
    if IS_ASGI:
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {"connect_timeout": 5, "pool": {"min_size": 1, "max_size": 8}}
    else:
        # Tests close connections at once so worker threads never hold the test database.
        config["CONN_MAX_AGE"] = 0 if TESTING else 60
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, sessions ---------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")

if REDIS_URL:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    # After Redis restarts, every pooled connection is dead; redis-py's default is to
    # raise on the first use of each (a lost chat broadcast, a failed page). Retrying once
    # on a fresh connection hides the restart; a Redis that is really down still fails
    # at once (connection refused), and within 2 s if it does not answer at all.
    _redis_options: dict[str, object] = {
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
        "socket_connect_timeout": 2,
    }
    # The pub/sub layer delivered every message in our fan-out test; the classic
    # Redis layer dropped 42 % (shared/reference/performance-baselines.md).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, **_redis_options}]},
        }
    }
    CACHES = {
        "default": {
            # Misses and skipped writes while Redis is down, never errors (core/cache.py).
            "BACKEND": "kinwell.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kinwell",
            "OPTIONS": {**_redis_options, "socket_timeout": 2},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # One machine: in memory in the WebSocket process; the page process relays to it
    # (kinwell/core/layers.py; `kinwell serve` sets KINWELL_RELAY_URL for pages only).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "kinwell.core.layers.RelayChannelLayer",
            "CONFIG": {"relay_url": "" if IS_ASGI else env_str("KINWELL_RELAY_URL")},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "kinwell.accounts.session_db"

# --- Background tasks -----------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Accounts and security ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:landing"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kinwell.accounts.backends.KinwellBackend",
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

AXES_FAILURE_LIMIT = env_int("KINWELL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours: long enough to stop guessing, short enough not to punish
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "kinwell.accounts.throttle.username_from_request"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

OTP_TOTP_ISSUER = "Kinwell"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF, *([_ws_origin] if (_ws_origin := _origin(WS_URL)) else [])],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Email ----------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("KINWELL_EMAIL_FROM", "Kinwell <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env_str("KINWELL_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("KINWELL_SMTP_HOST")
    EMAIL_PORT = env_int("KINWELL_SMTP_PORT", 587)
    EMAIL_HOST_USER = env_str("KINWELL_SMTP_USER")
    EMAIL_HOST_PASSWORD = env_str("KINWELL_SMTP_PASSWORD")
    EMAIL_USE_TLS = env_bool("KINWELL_SMTP_TLS", True)
    EMAIL_TIMEOUT = 10
elif env_str("KINWELL_EMAIL", "console") == "file":
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "kinwell" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KINWELL_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

if TESTING:
    # argon2 costs ~50 ms per hash by design; tests that check hashing override this.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# --- Kinwell --------------------------------------------------------------------------
# Email moderators and facilitators about urgent escalations (in-app always happens).
ESCALATION_EMAIL = env_bool("KINWELL_ESCALATION_EMAIL")
DEMO_PASSWORD = env_str("KINWELL_DEMO_PASSWORD")
# Reuse each member's rendered home page until something on it changes (core/homecache.py).
HOME_CACHE = env_bool("KINWELL_HOME_CACHE", True)
