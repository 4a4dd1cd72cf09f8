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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cuspe_portal.middleware.RejectNulCharactersMiddleware",
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
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

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
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
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
# and publishers), exporting the "view" one. Exports are guarded against formula injection
# so a file can't carry a formula (import-export drops a leading "=" from each cell).
IMPORT_FORMATS = [CSV, XLSX]
EXPORT_FORMATS = [CSV, XLSX]
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; failures and lockouts still show at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
