"""Django settings, read from the environment through ``dadkhah.config``."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from dadkhah import config

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
    "simple_history",
    "ninja",
    "huey.contrib.djhuey",
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
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
WHITENOISE_USE_FINDERS = True
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
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    # The task consumer says when it starts and what each task did.
    "loggers": {"huey": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}
