"""Settings for the test suite (pytest-django): ``make test``."""

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING
from .components.celery import CELERY_BROKER_URL, broker_transport_options
from .env import VAR_DIR, env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-key-not-secret")
TEST_RUNNER = "django.test.runner.DiscoverRunner"

# DATABASES
# ------------------------------------------------------------------------------
# On SQLite the test database is a file, not memory, so that worker and beat
# threads and subprocesses started by the tests see the same data.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}

# MEDIA
# ------------------------------------------------------------------------------
# Uploads of the tests (and of servers they start) never mix with `make run`'s.
MEDIA_ROOT = VAR_DIR / "test-media"

# PASSWORDS
# ------------------------------------------------------------------------------
# Argon2 stays first (tests that check hashing use it); the suite itself makes
# thousands of users, so a fast hasher is tried first where a test opts in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]

# CACHES
# ------------------------------------------------------------------------------
# Pages are rendered afresh unless a test turns the page cache on: a server started
# by a test must show rows the test wrote straight to the database.
BLOG_PAGE_CACHE_SECONDS = env.int("BLOG_PAGE_CACHE_SECONDS", default=0)

# EMAIL
# ------------------------------------------------------------------------------
# Mail goes into the outbox as in production; a worker (or a test calling the
# pipeline's services) delivers it with REMINDERS_EMAIL_BACKEND, which tests that send
# mail point at an aiosmtpd server of their own: in-process
# through the `smtp_server` fixture, and a worker or gunicorn subprocess (fault
# tests, benchmarks) through EMAIL_URL, which then wins over the in-memory backend.
if "EMAIL_URL" not in env.ENVIRON:
    REMINDERS_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# CELERY
# ------------------------------------------------------------------------------
# The embedded broker of the tests has its own folder: purging it between tests
# never touches the messages of a `make run` on the same checkout.
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, folder="test-broker")

# LOGGING
# ------------------------------------------------------------------------------
# aiosmtpd (logger "mail.log") narrates every SMTP connection of the test servers.
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "mail.log": {"level": "WARNING"}}}
