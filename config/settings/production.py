"""Settings for production: MySQL/MariaDB, RabbitMQ or Redis, gunicorn.

The secrets below have no default: a missing one stops start-up with
"Set the <NAME> environment variable".
"""

from django.core.exceptions import ImproperlyConfigured

from config.checks import PRODUCTION_CACHE_URL, jwt_signing_key_problem, per_process_cache_problem

from .base import *  # noqa: F403
from .base import database_from_url
from .components.api import SIMPLE_JWT
from .components.celery import broker_transport_options
from .env import env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set the DJANGO_ALLOWED_HOSTS environment variable")

# DATABASES
# ------------------------------------------------------------------------------
DATABASES = {"default": database_from_url(env.str("DATABASE_URL"))}

# CACHES
# ------------------------------------------------------------------------------
# Shared by every web process: the rate limits, the API's throttles and the cached pages
# count once for the site, not once per gunicorn worker, and survive a restart. Django's
# database cache needs no other server (its table: `manage.py createcachetable`, which
# `make migrate` and docs/deployment.md run); CACHE_URL=redis://... where there is one.
CACHES = {"default": env.cache_url("CACHE_URL", default=PRODUCTION_CACHE_URL)}
CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 10_000)
if _cache_problem := per_process_cache_problem(CACHES):
    raise ImproperlyConfigured(f"{_cache_problem}: set CACHE_URL to a shared cache")

# API
# ------------------------------------------------------------------------------
# API tokens are signed with their own key: rotating it logs out API clients only.
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": env.str("JWT_SIGNING_KEY")}
# Refused like a missing one: a short or default key lets anyone sign tokens
# (config/checks.py, also run by `check --deploy`).
if _jwt_problem := jwt_signing_key_problem(SIMPLE_JWT["SIGNING_KEY"]):
    raise ImproperlyConfigured(f"{_jwt_problem}: set it to a long random value")

# CELERY
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)

# EMAIL
# ------------------------------------------------------------------------------
# A real SMTP server: the console backend would silently drop welcome emails.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
REMINDERS_EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_BACKEND = "reminders.outbox.EmailBackend"

# SECURITY
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes and scrapers call a process directly over HTTP: a redirect would pass a
# probe (3xx counts as success) without checking anything (docs/monitoring.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A year, as browsers' preload lists ask; lower it (e.g. 300) while HTTPS is being
# tried out, since a browser keeps refusing plain HTTP for as long as it says.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is hard to undo (months to leave the browsers' lists): the operator opts in.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # security.W021 asks for preload; left off on purpose until the operator sets it.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True

# STATIC
# ------------------------------------------------------------------------------
# whitenoise serves compressed, hashed files from gunicorn: no CDN, works offline.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
