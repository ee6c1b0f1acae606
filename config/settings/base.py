"""Settings shared by every environment: Django's own, then the integrations.

Every value a user may change is read from the environment once, through
django-environ (``env.py``); docs/settings.md lists each with its default. The
defaults run the whole project with no server at all: SQLite and kombu's
filesystem broker under ``var/``. The integrations are in ``components/``, imported
at the end.
"""

from .env import BASE_DIR, VAR_DIR, env

# GENERAL
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Overridden in production, where it has no default.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-local-key-never-use-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Two languages (docs/i18n.md): a visitor gets the one their browser asks for, until
# they choose with the switcher; a signed-in user's choice is stored on their account
# and their emails are in it. Post content is as its author wrote it.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
USE_I18N = True
# Catalogues live in each app (blog/locale/, reminders/locale/, config/locale/).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True
SITE_ID = 1
# Beat's crontabs (the weekly digest) run on the site's clock.
CELERY_TIMEZONE = TIME_ZONE

# DATABASES
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"


def database_from_url(url: str) -> dict:
    """One database dict from a URL, tuned for the engine it names."""
    config = env.db_url_config(url)
    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    if engine == "django.db.backends.sqlite3":
        # Web, worker and beat write to one SQLite file at once: WAL lets readers
        # go on during a write, IMMEDIATE takes the write lock at BEGIN (so two
        # writers queue instead of failing on lock upgrade) and the timeout is
        # how long a writer waits for its turn before "database is locked".
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    elif engine == "django.db.backends.mysql":
        # utf8mb4: every unicode character, emoji included, fits.
        options.setdefault("charset", "utf8mb4")
        options.setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        config.setdefault("TEST", {}).update(
            {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        )
    if engine != "django.db.backends.sqlite3":
        # Keep connections for a minute, and check them before reuse so a
        # restarted database server costs one reconnect, not a failed request.
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_from_url(env.str("DATABASE_URL", default=DEFAULT_SQLITE_URL))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# URLS
# ------------------------------------------------------------------------------
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    # Content-Security-Policy (components/csp.py).
    "csp",
    "django_celery_results",
    "django_celery_beat",
]
LOCAL_APPS = [
    # The project itself: its ready() makes the folders the defaults write to.
    "config",
    "blog",
    "reminders",
]
INSTALLED_APPS = [
    *DJANGO_APPS,
    *THIRD_PARTY_APPS,
    *LOCAL_APPS,
    # After the blog app, so that its templates (blog/templates/admin/) adjust the
    # admin's: its title, a label per date and time input, underlined links.
    "django.contrib.admin",
    # Accounts (components/accounts.py): after the blog app, so its templates
    # (blog/templates/allauth/, account/) dress allauth's pages in the site's layout.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "captcha",
    "django_recaptcha",
    # The login lockout of the three login doors (config/lockout.py).
    "axes",
    # Providers' bounce and complaint webhooks (components/webhooks.py, docs/email.md).
    "anymail",
    # The API (components/api.py).
    "rest_framework",
    "rest_framework_simplejwt",
    # Rotated refresh tokens are blacklisted (components/api.py, docs/security.md).
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

# AUTHENTICATION
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/
AUTH_USER_MODEL = "blog.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account before any password is checked (config/lockout.py).
    "config.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# PASSWORDS
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/
# Argon2id for new passwords, its parameters the ARGON2_* settings (components/
# accounts.py); bcrypt hashes (the original Flask blog's) still check and are upgraded
# on the next login, as are Argon2 hashes made with other parameters.
PASSWORD_HASHERS = [
    "config.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    # First, so that it sees every response last: header values as plain str (WSGI).
    "config.middleware.PlainHeaderValuesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (components/csp.py).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else Accept-Language (docs/i18n.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ...and for a signed-in user, the language stored on their account.
    "config.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last: turns a login the lockout refused into its 429 (config/lockout.py).
    "axes.middleware.AxesMiddleware",
]

# REQUESTS
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
# The largest request body read (forms and the API alike): a 100,000-character post
# is at most 400 KB of UTF-8. Larger bodies are refused (a JSON 413 in the API).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
# Filled by collectstatic; created empty at start-up where nothing collects into it
# (config/apps.py), else WhiteNoise warns at every request.
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# MEDIA_ROOT and MEDIA_URL, where uploaded images go: components/blog.py.

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "blog.context_processors.page_meta",
            ],
        },
    },
]

# CACHES
# ------------------------------------------------------------------------------
# Per process by default; CACHE_URL=redis://127.0.0.1:6379/2 shares it between web
# processes (rate limits, throttles, cached pages and their invalidation).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    # Django's default of 300 entries culls a post page before its second reader
    # once a site has a few hundred posts. A page read by a visitor and a signed-in
    # reader takes two entries (the page, its fragments: docs/blog.md, "Caching");
    # 6,000 is ~100 MB per process at most.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 6000)

# EMAIL
# ------------------------------------------------------------------------------
# EMAIL_URL (smtp://user:password@host:587/?tls=True) sets the backend and every
# EMAIL_* setting at once. The default prints mail to the worker's console.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Every email Django sends goes into the outbox (reminders/outbox.py) in the sender's
# transaction; the worker delivers it with EMAIL_URL's backend (docs/email.md).
REMINDERS_EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_BACKEND = "reminders.outbox.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lightblog <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds before a hung SMTP server fails the send (and the task retries).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# LOGGING
# ------------------------------------------------------------------------------
# Django's own loggers write through the root handler only (its default "console"
# handler would print each record a second time under DEBUG); expected 403s and 404s
# are one INFO line without a traceback (config/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "expected_client_errors": {"()": "config.logging.ExpectedClientErrors"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "verbose": {"format": "%(levelname)s %(asctime)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "verbose"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["expected_client_errors"]},
        # The login lockout: one WARNING per failed login and per lockout (account,
        # address, user agent, path); its INFO chatter (clean-ups, start-up) is not kept.
        "axes": {"level": "WARNING"},
        "django.server": {
            "handlers": ["django.server"],
            "filters": ["expected_client_errors"],
            "level": "INFO",
            "propagate": False,
        },
    },
    "root": {"level": env.str("LOG_LEVEL", default="INFO"), "handlers": ["console"]},
}

# INTEGRATIONS
# ------------------------------------------------------------------------------
from .components.accounts import *  # noqa: E402, F403
from .components.api import *  # noqa: E402, F403
from .components.blog import *  # noqa: E402, F403
from .components.celery import *  # noqa: E402, F403
from .components.csp import *  # noqa: E402, F403
from .components.monitoring import *  # noqa: E402, F403
from .components.proxies import *  # noqa: E402, F403
from .components.reminders import *  # noqa: E402, F403
from .components.webhooks import *  # noqa: E402, F403
