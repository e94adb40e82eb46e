"""Settings for the pain and fatigue diary.

Everything that differs between a laptop and a clinic's server comes from
environment variables, read through the small helpers below. A bad value
stops the process at start-up with a message naming the variable, rather
than running with a guess.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for local development)")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

CLINIC_NAME = env_str("CLINIC_NAME", "Your clinic")
CLINIC_ACUTE_PHONE = env_str("CLINIC_ACUTE_PHONE", "")
if not CLINIC_ACUTE_PHONE and not DEBUG:
    raise ImproperlyConfigured(
        "CLINIC_ACUTE_PHONE must be set when DEBUG is off: it is the number an emergency flag tells patients to call"
    )
CLINIC_ACUTE_PHONE = CLINIC_ACUTE_PHONE or "000 000 0000"

try:
    ZoneInfo(env_str("CLINIC_TIMEZONE", "UTC"))
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"CLINIC_TIMEZONE is not an IANA time zone: {env_str('CLINIC_TIMEZONE')!r}") from None
# The default zone offered to new patients; each patient's own zone is what counts.
CLINIC_TIMEZONE = env_str("CLINIC_TIMEZONE", "UTC")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "diary",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "diary.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "diary.middleware.AuditMiddleware",
    # OPTIONS on patients/{id}/... passes the gatekeeper too (404 to anyone not linked).
    "diary.middleware.PatientOptionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After sign-in and messages: ends idle or old sessions, and says why on the sign-in page.
    "diary.sessions.SessionLimitsMiddleware",
    # Therapists pass a second step (an authenticator app's code) before anything else (diary/mfa.py).
    "diary.mfa.SecondStepMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After django-csp's, so its answers pass here first: the admin's own scripts (no nonce) may run.
    "diary.middleware.AdminScriptsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into frontend.views.accounts.locked_out's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "frontend.context_processors.clinic",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and a second process share the file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "diary.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked account before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]  # per email typed, account or not (diary/lockout.py)
# axes.W006 asks to lock per address too. Guessing from one address is already limited by the
# THROTTLE_LOGIN rate; locking whole addresses would lock out a clinic that shares one.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "diary.lockout.username"
AXES_CLIENT_IP_CALLABLE = "diary.audit.client_address"  # the same address as the audit and throttles
AXES_LOCKOUT_CALLABLE = "frontend.views.accounts.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the access audit already
AXES_VERBOSE = False

# Password reset links work once, for two hours. Email goes to the console unless EMAIL_BACKEND says
# otherwise (e.g. django.core.mail.backends.smtp.EmailBackend with the EMAIL_HOST... settings below).
PASSWORD_RESET_TIMEOUT = 2 * 3600
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "diary@localhost")

# Sign-up that reveals nothing (API.md 1.1, diary/signup.py): a new address gets a link to confirm,
# an address with an account gets a notice, and the answer is the same. Off in development so the
# demo signs people in at once; SIGNUP_VERIFY_EMAIL overrides either way.
SIGNUP_VERIFY_EMAIL = env_bool("SIGNUP_VERIFY_EMAIL", not DEBUG)
# Where emails sent by the task worker link to (it has no request to take the address from).
SITE_URL = env_str(
    "SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if ALLOWED_HOSTS and not DEBUG else "http://localhost:8000"
)

# Background tasks (django-tasks): emails go off the request path. Production runs
# `manage.py db_worker` on the database queue; development and tests run each task at once,
# unless TASKS_BACKEND says otherwise.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend" if DEBUG else "django_tasks_db.DatabaseBackend",
        ),
    }
}

OTP_TOTP_ISSUER = CLINIC_NAME  # the name authenticator apps show beside the code

LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # WhiteNoise's compressed, hashed storage, which also rewrites the imports between ES modules.
        "BACKEND": "frontend.storage.StaticStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Requests larger than this are refused; the API answers 413 in JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
API_MAX_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE

# Django's database sessions, whose list of one's sessions follows a rotated key (diary/sessions.py).
SESSION_ENGINE = "diary.sessions"

# Throttle counters and other shared state. Every app process must see the same counts, or with
# N processes each limit is N times looser: production sets CACHE_URL (redis://host:6379/0);
# without it each process keeps its own in memory, which is only for development
# (check --deploy warns, diary.W001).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a Redis URL (redis://, rediss:// or unix://); got {CACHE_URL!r}")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache"
        if CACHE_URL
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": CACHE_URL,
        # Lets several apps (or test runs) share one Redis database without reading each other's keys.
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", ""),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["diary.api.common.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["diary.api.common.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("THROTTLE_LOGIN", "10/min"),
        "signup": env_str("THROTTLE_SIGNUP", "20/hour"),
        "link": env_str("THROTTLE_LINK", "20/hour"),
        "push_subscribe": env_str("THROTTLE_PUSH_SUBSCRIBE", "30/hour"),
    },
    "EXCEPTION_HANDLER": "diary.api.common.exception_handler",
    # Who a client is, for throttling: with N trusted proxies in front, the Nth address from the
    # right of X-Forwarded-For (which the client cannot forge); with 0, the socket's address.
    # 0 unless set: counting a proxy that is not there would let a client name its own address.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # ?format= is the export format, not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Pain and fatigue diary API",
    "DESCRIPTION": "Version 1 of the diary's JSON API. Session cookie auth; send the CSRF token in X-CSRFToken.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "PREPROCESSING_HOOKS": ["diary.api.common.hide_slash_duplicates"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"FlagLevelEnum": "diary.models.FlagLevel"},
}

# Cookies and transport. Production runs behind a TLS proxy that sets X-Forwarded-Proto.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 24 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix makes the browser refuse these cookies unless they are Secure, for this
    # exact host and path /: no subdomain or plain-HTTP page can set or overwrite them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The header alone enrols nobody; submitting the domain to the preload list is a separate, deliberate step.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Only scripts carrying this request's nonce (module imports inherit it): an injected
        # <script> has none, so it never runs (tests/browser/test_xss.py). No 'self': that would
        # also run any script file the origin serves. The two pages rendered without a request
        # (the offline shell, frontend/pwa.py) and Django's admin add 'self' for themselves.
        "script-src": [NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Reminders by Web Push (diary/push.py, API.md 1.1). The VAPID private key signs every message: PEM
# text or the base64url private key. With DEBUG on and none set, one is made into VAPID_DEV_KEY_FILE
# (git-ignored); with DEBUG off and none set, phones cannot subscribe (check --deploy: diary.W101).
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")
VAPID_DEV_KEY_FILE = BASE_DIR / ".vapid-dev-key"
# Who runs this server, for the push services (the VAPID JWT's "sub", RFC 8292): a mailto: or https: URL.
VAPID_SUBJECT = env_str("VAPID_SUBJECT", f"mailto:{DEFAULT_FROM_EMAIL}")
if not VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(f"VAPID_SUBJECT must be a mailto: or https:// URL; got {VAPID_SUBJECT!r}")
# The only hosts a push subscription may name (https); "*.example.com" matches its subdomains.
PUSH_SERVICE_HOSTS = env_list(
    "PUSH_SERVICE_HOSTS",
    [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "*.push.apple.com",
        "*.notify.windows.com",
    ],
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes says every failed sign-in at INFO; the access audit records them already.
    "loggers": {"axes": {"level": "WARNING"}},
}
