"""Django settings, read from the environment through ``dadkhah.config``."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url

from dadkhah import config
from dadkhah.core.security import site_policy

CONFIG = config.load()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_htmx",
    "csp",
    "simple_history",
    "ninja",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "dadkhah.core",
    "dadkhah.accounts",
    "dadkhah.records",
    "dadkhah.vault",
    "dadkhah.search",
    "dadkhah.linkage",
    "dadkhah.dossiers",
    "dadkhah.memorial",
    "dadkhah.campaign",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sessions from before "log out everywhere" or idle too long end here; then staff
    # sessions without their second factor are sent to it (dadkhah.accounts.middleware).
    "dadkhah.accounts.middleware.SessionPolicyMiddleware",
    "dadkhah.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "dadkhah.urls"
WSGI_APPLICATION = "dadkhah.wsgi.application"

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
                "dadkhah.accounts.context.clearance",
            ],
        },
    },
]

if CONFIG.database_url:
    DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": CONFIG.home / "dadkhah.sqlite3",
            "OPTIONS": {
                # WAL lets the site read while an import writes; IMMEDIATE avoids
                # "database is locked" upgrades inside write transactions.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# Uploads larger than 2.5 MB are spooled under DADKHAH_HOME, not in the system's /tmp.
FILE_UPLOAD_TEMP_DIR = CONFIG.home / "uploads"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# Upload limits. Form fields (everything but files) are held in memory up to 2.5 MB per
# request; a file above 2.5 MB is spooled to disk, never held in memory. Evidence files are
# refused above DADKHAH_UPLOAD_MAX_MB (vault upload page) and contributions above
# DADKHAH_CONTRIBUTE_MAX_FILE_MB; the reverse proxy bounds the whole request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o600
EVIDENCE_UPLOAD_MAX_BYTES = CONFIG.upload_max_mb * 1_000_000

# Background tasks (text extraction): a SQLite queue under DADKHAH_HOME, consumed by the
# process `dadkhah serve` starts beside gunicorn. Tests switch huey to immediate mode.
# Parallel test workers (pytest-xdist) share DADKHAH_HOME: each gets a queue of its own, so
# that one worker's `dadkhah work` never runs another's tasks against the wrong database.
_QUEUE = (
    f"tasks-{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else "tasks"
)
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "dadkhah",
    "filename": str(CONFIG.home / f"{_QUEUE}.sqlite3"),
    "immediate": False,
    "results": False,  # tasks report through the database (Item.extraction_status)
    "consumer": {"workers": 2, "worker_type": "thread"},
}
# At scale (DADKHAH_QUEUE_URL=redis://…): one queue on Redis for every app server and task
# consumer (docs/deploy.md).
if CONFIG.queue_url:
    del HUEY["filename"]
    HUEY |= {
        "huey_class": "huey.RedisHuey",
        "name": "dadkhah" if _QUEUE == "tasks" else f"dadkhah-{_QUEUE}",
        "url": CONFIG.queue_url,
    }

# "campaign": shared by the site's processes (the cached public campaign pages and
# count.json, the tally's schedule). Each process keeps a small copy in memory in front of
# it (dadkhah.campaign.cache), so a hot read never touches the disk. A Redis backend can
# replace the files when the site spans several machines.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "campaign": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(CONFIG.home / "cache" / "campaign"),
        "TIMEOUT": 86400,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
# DADKHAH_CACHE_URL=redis://…: both caches on Redis, shared by every app server (each under
# its own key prefix; the per-process copy in front of "campaign" stays).
if CONFIG.cache_url:
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.cache_url,
            "KEY_PREFIX": f"dadkhah-{alias}",
            **({"TIMEOUT": 86400} if alias == "campaign" else {}),
        }
        for alias in ("default", "campaign")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Email (campaign confirmations and notices) over SMTP, from DADKHAH_SMTP_URL; empty means
# the local sink on loopback (dadkhah.campaign.mailsink), which `dadkhah serve` starts.
_SMTP = CONFIG.smtp
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _SMTP.host
EMAIL_PORT = _SMTP.port
EMAIL_HOST_USER = _SMTP.user
EMAIL_HOST_PASSWORD = _SMTP.password
EMAIL_USE_TLS = _SMTP.use_tls
EMAIL_USE_SSL = _SMTP.use_ssl
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = CONFIG.mail_from
SERVER_EMAIL = CONFIG.mail_from

# Passwords: Argon2id; the others only verify (and upgrade) hashes made before it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# django-axes first: it refuses a locked-out username+address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout (django-axes): DADKHAH_LOGIN_FAILURE_LIMIT failed passwords for one username
# from one address lock that pair for DADKHAH_LOGIN_LOCKOUT_MINUTES; `dadkhah user unlock`.
AXES_FAILURE_LIMIT = CONFIG.login_failure_limit
AXES_COOLOFF_TIME = datetime.timedelta(minutes=CONFIG.login_lockout_minutes)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "dadkhah.campaign.abuse.client_address"  # DADKHAH_TRUSTED_PROXIES
AXES_LOCKOUT_CALLABLE = "dadkhah.accounts.views.locked_out"
AXES_VERBOSE = False
# Two factors (django-otp): the issuer name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "Dadkhah"
# The admin never shows an authenticator's secret (its key and QR code pages answer 403,
# instead of a 500 for an unknown device).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fa", "فارسی")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = CONFIG.home / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it when serving
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Once collectstatic has filled STATIC_ROOT (production; `dadkhah serve` runs it), whitenoise
# serves those files with their compressed copies (.gz, .br); before that (tests, a new
# home) and with DADKHAH_DEBUG=1, straight from the apps' folders, uncompressed.
WHITENOISE_USE_FINDERS = DEBUG or not any(STATIC_ROOT.iterdir())
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # The memorial's Persian and Latin fonts, from Debian's fonts-noto-core.
    "dadkhah.memorial.fonts.SystemFontFinder",
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/records/"
LOGOUT_REDIRECT_URL = "/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = CONFIG.session_hours * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = CONFIG.session_browser_close
SESSION_IDLE_SECONDS = CONFIG.session_idle_minutes * 60  # dadkhah.accounts.sessions
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = [CONFIG.site_url]

# Content Security Policy (django-csp): scripts, styles, fonts and requests from the site
# only; no inline script, no eval, no plugin, no framing. Files someone else made (evidence,
# contributions) get a sandboxing policy of their own (dadkhah.core.security.protect_file).
CONTENT_SECURITY_POLICY = site_policy(CONFIG.tile_url)

# Behind a TLS reverse proxy (DADKHAH_HTTPS=1): the proxy says the request came over HTTPS
# in X-Forwarded-Proto (it must overwrite any such header from the client).
if CONFIG.https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG.hsts_subdomains
    SECURE_HSTS_PRELOAD = CONFIG.hsts_preload

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    # The task consumer says when it starts and what each task did.
    "loggers": {"huey": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}
