"""The portal's one settings module.

Every deploy-time knob is an environment variable with a safe default; `.env.example` and the
README list them all. Development needs none: `make run` sets `DJANGO_DEBUG=true`.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from import_export.formats.base_formats import CSV, XLSX

from cuspe_portal.spreadsheets import SafeCSV, SafeXLSX

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    """Read a comma-separated environment variable as a list, ignoring blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Debug is off unless asked for, so a deploy that forgets the variable stays safe.
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value in production, "
            "or set DJANGO_DEBUG=true for local development (see .env.example)."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-used-when-debug-is-off"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The organisation that runs the portal, and its brand, shown on every page and in the admin.
PORTAL_ORGANISATION_NAME = os.environ.get(
    "PORTAL_ORGANISATION_NAME", "Cambridgeshire County Council"
).strip()
PORTAL_SERVICE_NAME = os.environ.get(
    "PORTAL_SERVICE_NAME", "Transformation recommendations"
).strip()
# A recommendation with no progress update for this many days is flagged "needs review".
PORTAL_REVIEW_AFTER_DAYS = int(os.environ.get("PORTAL_REVIEW_AFTER_DAYS", "180"))
# How long a shared preview link works, in seconds (default 7 days).
PORTAL_PREVIEW_LINK_MAX_AGE = int(os.environ.get("PORTAL_PREVIEW_LINK_DAYS", "7")) * 24 * 3600
PORTAL_BRAND_COLOUR = os.environ.get("PORTAL_BRAND_COLOUR", "#005a70").strip()
if not re.fullmatch(r"#[0-9a-fA-F]{6}", PORTAL_BRAND_COLOUR):
    raise ImproperlyConfigured(
        f"PORTAL_BRAND_COLOUR must be a colour such as #005a70, not {PORTAL_BRAND_COLOUR!r}."
    )

INSTALLED_APPS = [
    "cuspe_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "areas",
    "recommendations",
]

MIDDLEWARE = [
    # First, so every request is logged with its id, status and duration, whatever answers it.
    "cuspe_portal.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cuspe_portal.middleware.RejectNulCharactersMiddleware",
    # Before the session and everything that may touch the database: a replay needs neither.
    "cuspe_portal.cache.PageCacheMiddleware",
    "cuspe_portal.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Password guessing: after AXES_FAILURE_LIMIT failed logins for a username from one address,
# that pair is locked out for AXES_COOLOFF_MINUTES; the admin login page says so plainly.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "cuspe_portal.urls"

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
                "cuspe_portal.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "cuspe_portal.wsgi.application"

# SQLite in the project folder unless DATABASE_URL names another database.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Each request is one transaction: one that fails half-way leaves nothing half-saved.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if DATABASE_IS_POSTGRES:
    # A database host that drops packets must fail a request in seconds (a styled 503), not
    # hang it until gunicorn kills the worker.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DATABASE_CONNECT_TIMEOUT") or "5"
    )

# The cache: Redis when REDIS_URL is set (shared by every application server: the page cache,
# the API's rate limit and the login lockouts then hold across servers), else this process's
# memory.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("PORTAL_CACHE_KEY_PREFIX", "cuspe"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Anonymous pages and API answers are kept for up to this many seconds, and dropped at once
# when content changes (cuspe_portal/cache.py); 0 turns the page cache off. The default is on
# only where every process sees the change: with Redis, or in development's single process.
PORTAL_PAGE_CACHE_SECONDS = int(
    os.environ.get("PORTAL_PAGE_CACHE_SECONDS", "600" if REDIS_URL or DEBUG else "0")
)
# Names the deployed code in the page cache's keys (default: the static files' manifest).
PORTAL_RELEASE = os.environ.get("PORTAL_RELEASE", "").strip()
# Addresses never kept: the admin, the probes, preview links and the admin's own API views.
PORTAL_PAGE_CACHE_EXCLUDE = ("/admin/", "/healthz", "/readyz", "/preview/")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("PORTAL_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `or`, not a default: a blank line in a .env file must not make it "." (the project root,
# which whitenoise would then serve, .env included).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# HTTPS. On in production: plain-HTTP requests are redirected, browsers are told to use HTTPS
# only (HSTS) and cookies are sent only over HTTPS. Turn it off only to try the production
# settings on a machine without TLS (DJANGO_HTTPS=false).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
# The load balancer's health checks come over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# Asking browsers to preload HSTS is a commitment for the whole domain, which the council's
# web team makes, not this application: off unless asked for, and check --deploy's reminder
# about it (security.W021) is silenced while it is off.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Behind a load balancer that terminates TLS, gunicorn marks a request as HTTPS from its
# X-Forwarded-Proto header when it comes from GUNICORN_FORWARDED_ALLOW_IPS (gunicorn.conf.py).
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# No inline scripts or styles anywhere on the public site: everything comes from our origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

# Spreadsheets in the admin: CSV and Excel; importing needs the "change" permission (editors
# and publishers), exporting the "view" one. Exports never carry a live formula: text that
# looks like one is marked as text (cuspe_portal/spreadsheets.py, which replaces
# import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT).
IMPORT_FORMATS = [CSV, XLSX]
EXPORT_FORMATS = [SafeCSV, SafeXLSX]
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# Anonymous API clients: requests per client address, e.g. 120/minute; blank turns it off.
# Counted per process (Django's local-memory cache) unless a shared cache is configured.
API_ANON_THROTTLE_RATE = os.environ.get("API_ANON_THROTTLE_RATE", "120/minute").strip() or None
if API_ANON_THROTTLE_RATE and not re.fullmatch(r"\d+/[smhd][a-z]*", API_ANON_THROTTLE_RATE):
    raise ImproperlyConfigured(
        f"API_ANON_THROTTLE_RATE must look like 120/minute, not {API_ANON_THROTTLE_RATE!r}."
    )

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "cuspe_portal.openapi.PortalAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cuspe_portal.rest.PageNumberPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "cuspe_portal.rest.BrowsableAPIRenderer",
    ],
    "PAGE_SIZE": 20,
    # Token first, so an anonymous write is a 401 that names the scheme (WWW-Authenticate).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"
    ],
    "DEFAULT_THROTTLE_CLASSES": ["cuspe_portal.rest.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": API_ANON_THROTTLE_RATE},
    # Proxies in front of the portal: the client address is taken from X-Forwarded-For only
    # past that many hops, so nobody escapes the throttle by sending the header themselves.
    "NUM_PROXIES": int(os.environ.get("API_NUM_PROXIES", "0")),
}

SPECTACULAR_SETTINGS = {
    "TITLE": f"{PORTAL_SERVICE_NAME} API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": (
        "The recommendations of the council's transformation reports, with their areas, "
        "themes, reports, examples and references. Anyone may read what the public site "
        "shows; trusted tools write with a token (`Authorization: Token <key>`)."
    ),
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ScaleEnum": "recommendations.models.Recommendation.Scale"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cuspe_portal.openapi.document_csv_as_text",
    ],
}

# Logs go to stdout, one JSON object a line in production (DJANGO_LOG_FORMAT=json, the default
# unless debugging): time, level, logger, message, the request id, and for each request its
# method, path, status, duration and whether the page cache answered.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text" if DEBUG else "json").strip()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cuspe_portal.requestlog.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # django-axes logs every login at INFO; failures and lockouts still show at WARNING.
        "axes": {"level": "WARNING"},
        # Our request log says the same as Django's (and runserver's) own, with more.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # In development the request lines are noise; DJANGO_LOG_REQUESTS=true shows them.
        "cuspe_portal.requests": {
            "level": "INFO" if env_bool("DJANGO_LOG_REQUESTS", not DEBUG) else "WARNING"
        },
    },
}
