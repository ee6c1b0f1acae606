"""Settings shared by every environment.

Every value a user may change is read from the environment here, once, through
django-environ; the README lists each with its default. The defaults run the
whole project with no server at all: SQLite and kombu's filesystem broker under
``var/``.
"""

from datetime import timedelta
from pathlib import Path

import environ

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Where the embedded defaults keep their state: the SQLite file and the broker.
VAR_DIR = Path(env.str("LIGHTBLOG_VAR_DIR", default=str(BASE_DIR / "var")))

# GENERAL
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Overridden in production, where it has no default.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-local-key-never-use-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
SITE_ID = 1

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
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
]
THIRD_PARTY_APPS = [
    "django_celery_results",
    "django_celery_beat",
]
LOCAL_APPS = [
    "blog",
    "reminders",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# AUTHENTICATION
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/
AUTH_USER_MODEL = "blog.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# PASSWORDS
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/
# Argon2 for new passwords; bcrypt hashes (the original Flask blog's) still check
# and are upgraded on the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# EMAIL
# ------------------------------------------------------------------------------
# EMAIL_URL (smtp://user:password@host:587/?tls=True) sets the backend and every
# EMAIL_* setting at once. The default prints mail to the worker's console.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lightblog <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds before a hung SMTP server fails the send (and the task retries).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# kombu wants a host name even for files; "localhost" only silences its warning.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")


def broker_transport_options(url: str, folder: str = "broker") -> dict:
    """Transport options fitting the broker the URL names."""
    if url.startswith("filesystem://"):
        # One folder is both in and out: producer and consumers share it. The
        # control folder carries fanout, so `celery inspect ping` works.
        broker_dir = VAR_DIR / folder
        queue_dir = broker_dir / "queue"
        for folder in (queue_dir, broker_dir / "processed", broker_dir / "control"):
            folder.mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "polling_interval": 0.2,
        }
    if url.startswith(("redis://", "rediss://")):
        # Redis redelivers an unacknowledged message after this long; no task may
        # be held longer (the reminders ETA horizon is far below it). The socket
        # timeouts bound a publish to a Redis that accepts connections but does
        # not answer (without them a web request saving a reminder would hang).
        return {
            "visibility_timeout": 3600,
            "socket_connect_timeout": env.int("REDIS_SOCKET_TIMEOUT", default=3),
            "socket_timeout": env.int("REDIS_SOCKET_TIMEOUT", default=3),
        }
    return {}


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
# The filesystem broker writes each message atomically (kombu's own can hand a
# worker a half-written file, which stops the worker): config/filesystem_broker.py.
CELERY_BROKER_TRANSPORT = (
    "config.filesystem_broker:Transport" if CELERY_BROKER_URL.startswith("filesystem://") else None
)
# A worker started before the broker keeps trying instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Outcomes are rows in the database (django-celery-results), with name and args.
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# Results older than a week are deleted by the daily celery.backend_cleanup.
CELERY_RESULT_EXPIRES = timedelta(days=7)
# JSON only: no pickle, so a message can never run code on the worker.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# No task may hang a worker process: soft limit raises in the task, hard kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Acknowledge after the task ran, so a worker that dies mid-task gets the message
# redelivered; the reminder's claim makes the second run harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Take one message at a time: a slow email does not hold others hostage.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Record STARTED so staff can tell a running task from a queued one.
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
# Beat reads its schedule from the database, editable in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# utf8mb4 index keys on MySQL are limited to 767 bytes on old row formats: 191 chars.
DJANGO_CELERY_RESULTS_TASK_ID_MAX_LENGTH = 191

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "verbose": {"format": "%(levelname)s %(asctime)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "verbose"},
    },
    "root": {"level": env.str("LOG_LEVEL", default="INFO"), "handlers": ["console"]},
}

# ACCOUNTS (django-allauth)
# ------------------------------------------------------------------------------
# https://docs.allauth.org/en/latest/account/configuration.html
# The blog app is listed before these, so its templates (blog/templates/allauth/,
# account/) dress allauth's pages in the site's own layout.
INSTALLED_APPS += [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "captcha",
    "django_recaptcha",
]
MIDDLEWARE += ["allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS += ["allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_ADAPTER = "blog.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "blog.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"signup": "blog.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# "optional": a new user is signed in at once; the confirmation email can wait.
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
# None shows "Remember me" on the login form; unticked, the session ends with the browser.
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Lightblog] "
# allauth's rate limits are on; these three can be tuned (allauth's defaults for the
# others). They count in the default cache: per process unless CACHES names a shared one.
ACCOUNT_RATE_LIMITS = {
    "login": env.str("ACCOUNT_RATE_LIMIT_LOGIN", default="30/m/ip"),
    # 10 failures a minute from one address, 5 in 5 minutes for one account.
    "login_failed": env.str("ACCOUNT_RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("ACCOUNT_RATE_LIMIT_SIGNUP", default="20/m/ip"),
}

# Third-party login: a provider is offered only when its client id and secret are set
# here (or a SocialApp for it exists in the admin). Callback URL to register with
# the provider: https://<host>/accounts/<facebook|github|google>/login/callback/
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {
    "facebook": {"METHOD": "oauth2", "SCOPE": ["email", "public_profile"]},
    "github": {"SCOPE": ["user:email"]},
    "google": {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}},
}
for _provider in SOCIALACCOUNT_PROVIDERS:
    _client_id = env.str(f"SOCIAL_{_provider.upper()}_CLIENT_ID", default="")
    _secret = env.str(f"SOCIAL_{_provider.upper()}_SECRET", default="")
    if _client_id and _secret:
        SOCIALACCOUNT_PROVIDERS[_provider]["APPS"] = [
            {"client_id": _client_id, "secret": _secret, "key": ""}
        ]

# CACHES
# ------------------------------------------------------------------------------
# Per process by default; CACHE_URL=redis://127.0.0.1:6379/2 shares it between web
# processes (rate limits, throttles, cached pages and their invalidation).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    # Django's default of 300 entries culls a post page before its second reader
    # once a site has a few hundred posts; 3,000 pages is ~50 MB per process at most.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 3000)
# Seconds an anonymous visitor's page (home, tag, author, post) is served from the
# cache; any change to posts, comments or tags refreshes it at once. 0 turns it off.
BLOG_PAGE_CACHE_SECONDS = env.int("BLOG_PAGE_CACHE_SECONDS", default=60)

# CAPTCHA on registration: Google reCAPTCHA v2 when both keys are set, else the
# self-hosted image CAPTCHA (django-simple-captcha), which needs no internet.
RECAPTCHA_PUBLIC_KEY = env.str("RECAPTCHA_PUBLIC_KEY", default="")
RECAPTCHA_PRIVATE_KEY = env.str("RECAPTCHA_PRIVATE_KEY", default="")
# Minutes a self-hosted CAPTCHA stays valid.
CAPTCHA_TIMEOUT = env.int("CAPTCHA_TIMEOUT", default=10)
CAPTCHA_LENGTH = 5
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 32

# API
# ------------------------------------------------------------------------------
# Django REST framework: https://www.django-rest-framework.org/api-guide/settings/
# The API is a second door onto the same services and permission rules as the pages.
INSTALLED_APPS += [
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
REST_FRAMEWORK = {
    # A bearer token for scripts first (so a missing one answers 401 with
    # WWW-Authenticate), the session for the browsable API and Swagger UI.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=10),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Counters live in the default cache (per process unless CACHES is shared).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        # The token endpoints, per client address: slows password guessing.
        "token": env.str("API_THROTTLE_TOKEN", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# djangorestframework-simplejwt: https://django-rest-framework-simplejwt.readthedocs.io/
SIMPLE_JWT = {
    # Ten minutes, like the original Flask API's tokens; the refresh token gets a new one.
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_TOKEN_HOURS", default=24)),
    "ALGORITHM": "HS256",
    # Tokens have their own key, so rotating it logs out API clients only; production
    # requires it (config/settings/production.py).
    "SIGNING_KEY": env.str(
        "JWT_SIGNING_KEY", default="insecure-local-jwt-key-never-use-in-production"
    ),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}
# drf-spectacular: https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "Lightblog API",
    "DESCRIPTION": (
        "Posts, comments and tags for everyone; reminders for staff. Authenticate with "
        "`POST /api/auth/token/` and send `Authorization: Bearer <access>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components: read-only fields (delivery state,
    # slugs) are never asked of a client.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Swagger UI's assets come from drf-spectacular-sidecar: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# REMINDERS
# ------------------------------------------------------------------------------
# The welcome-email pipeline (reminders/): every value is in seconds unless named
# otherwise; the README's reminders section explains each one.
# A reminder due within this horizon is published at save with eta=date; a later one
# waits in the database for dispatch_due, so no message is held by a worker longer
# than RabbitMQ's consumer_timeout (30 min) or Redis's visibility_timeout (1 h).
REMINDERS_ETA_HORIZON = env.int("REMINDERS_ETA_HORIZON", default=600)
# A "sending" claim older than this belongs to a lost worker: dispatch_due takes it
# back. It must exceed CELERY_TASK_TIME_LIMIT, the longest a live send can last.
REMINDERS_LEASE = env.int("REMINDERS_LEASE", default=600)
# A pending reminder whose message should have run this long ago is published again.
REMINDERS_ENQUEUE_GRACE = env.int("REMINDERS_ENQUEUE_GRACE", default=600)
# Temporary SMTP failures: first delay, doubled per attempt with jitter, capped below
# the brokers' timeouts; after REMINDERS_MAX_RETRIES retries the reminder is failed.
REMINDERS_RETRY_DELAY = env.int("REMINDERS_RETRY_DELAY", default=300)
REMINDERS_RETRY_MAX_DELAY = env.int("REMINDERS_RETRY_MAX_DELAY", default=1200)
REMINDERS_MAX_RETRIES = env.int("REMINDERS_MAX_RETRIES", default=5)
# The welcome email's date: the moment of registration plus this.
REMINDERS_WELCOME_DELAY = env.int("REMINDERS_WELCOME_DELAY", default=0)
# manage.py reminders_status exits non-zero when a due reminder waits longer than this.
REMINDERS_DUE_ALERT = env.int("REMINDERS_DUE_ALERT", default=900)
# Publishing from a web request fails fast when the broker is down: this many quick
# retries this far apart, then the reminder is left for dispatch_due.
REMINDERS_PUBLISH_MAX_RETRIES = env.int("REMINDERS_PUBLISH_MAX_RETRIES", default=1)
REMINDERS_PUBLISH_RETRY_INTERVAL = env.float("REMINDERS_PUBLISH_RETRY_INTERVAL", default=0.2)
# Reminders dispatch_due publishes per run; a run that reaches it queues the next run
# at once. Due ones go REMINDERS_BATCH_SIZE to a message, so this is cheap.
REMINDERS_DISPATCH_BATCH = env.int("REMINDERS_DISPATCH_BATCH", default=5000)
# A backlog (dispatch_due, "send now" on many) is sent in batches of this many: one
# claim UPDATE per batch, each reminder marked sent as soon as the server accepts it.
# A lone reminder due now still goes at once through remind.
REMINDERS_BATCH_SIZE = env.int("REMINDERS_BATCH_SIZE", default=100)
# SMTP connections a batch is sent over at once, each in a thread with its own database
# connection, each sending nothing until its last email is recorded: a worker killed
# mid-batch leaves at most this many accepted-but-unrecorded emails per pool process.
REMINDERS_BATCH_CONNECTIONS = env.int("REMINDERS_BATCH_CONNECTIONS", default=4)
# Seconds a batch may spend sending; past it the unsent rest is handed back and queued
# again. Keep it well below CELERY_TASK_SOFT_TIME_LIMIT and REMINDERS_LEASE.
REMINDERS_BATCH_DEADLINE = env.int("REMINDERS_BATCH_DEADLINE", default=60)
# Digest recipients loaded and sent per SMTP connection.
REMINDERS_DIGEST_CHUNK = env.int("REMINDERS_DIGEST_CHUNK", default=200)
# Seconds one digest task sends before it hands the rest of the week's digest to a new
# task (checked after each chunk). Keep it well below CELERY_TASK_SOFT_TIME_LIMIT.
REMINDERS_DIGEST_DEADLINE = env.int("REMINDERS_DIGEST_DEADLINE", default=180)
# The site's public address: links in emails (the digest) are absolute.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The queue of the email tasks; name another (e.g. "email") and start a worker with
# -Q email to keep slow SMTP away from other work.
REMINDERS_QUEUE = env.str("REMINDERS_QUEUE", default="celery")
CELERY_TASK_ROUTES = {
    "reminders.tasks.remind": {"queue": REMINDERS_QUEUE},
    "reminders.tasks.remind_batch": {"queue": REMINDERS_QUEUE},
    "reminders.tasks.digest": {"queue": REMINDERS_QUEUE},
}
