"""System checks of the project's own security settings (``manage.py check --deploy``).

Registered by ``ProjectConfig.ready()``. Production also refuses to start with a bad
key (``config/settings/production.py`` calls ``jwt_signing_key_problem``), as it does
without one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from .hashers import argon2_parameters_problem

# Like Django's check of SECRET_KEY (security.W009): long and varied enough not to be
# guessed; the local defaults start with "insecure-".
JWT_KEY_MIN_LENGTH = 50
JWT_KEY_MIN_UNIQUE_CHARACTERS = 5
INSECURE_PREFIX = "insecure-"


def jwt_signing_key_problem(key: str | None) -> str | None:
    """Why ``key`` may not sign API tokens in production, or None when it may."""
    key = key or ""
    if not key:
        return "JWT_SIGNING_KEY is empty"
    if key.startswith(INSECURE_PREFIX):
        return "JWT_SIGNING_KEY is the local default"
    if len(key) < JWT_KEY_MIN_LENGTH or len(set(key)) < JWT_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"JWT_SIGNING_KEY has {len(key)} characters ({len(set(key))} different): it needs "
            f"at least {JWT_KEY_MIN_LENGTH}, {JWT_KEY_MIN_UNIQUE_CHARACTERS} of them different"
        )
    return None


@register(Tags.security, deploy=True)
def jwt_signing_key(app_configs, **kwargs) -> list[CheckMessage]:
    """Whoever knows the key can mint an access token for any user, staff included."""
    problem = jwt_signing_key_problem(settings.SIMPLE_JWT.get("SIGNING_KEY"))
    if problem is None:
        return []
    return [
        Error(
            f"{problem}: anyone who guesses it can sign API tokens for any user.",
            hint="Set JWT_SIGNING_KEY to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id="config.E001",
        )
    ]


def site_url_problem(site_url: str, allowed_hosts: list[str]) -> str | None:
    """Why ``SITE_URL`` cannot be a production site's public address, or None."""
    from urllib.parse import urlsplit

    from django.http.request import validate_host

    parts = urlsplit(site_url)
    if parts.scheme != "https":
        return f"SITE_URL is {site_url!r}, not an https:// address"
    if not validate_host(parts.hostname or "", allowed_hosts):
        return f"SITE_URL's host {parts.hostname!r} is not in DJANGO_ALLOWED_HOSTS"
    return None


@register(Tags.security, deploy=True)
def site_url(app_configs, **kwargs) -> list[CheckMessage]:
    """Canonical links, the sitemap, OpenGraph and the links in emails name SITE_URL:
    left at the local default, search engines and readers are sent to 127.0.0.1."""
    problem = site_url_problem(settings.SITE_URL, settings.ALLOWED_HOSTS)
    if problem is None:
        return []
    return [
        Error(
            f"{problem}: links in emails, canonical links and the sitemap would name it.",
            hint="Set SITE_URL to the site's public address, e.g. https://blog.example.com.",
            id="config.E003",
        )
    ]


# What production uses unless CACHE_URL names another shared cache (Redis).
PRODUCTION_CACHE_URL = "dbcache://lightblog_cache"
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def per_process_cache_problem(caches: dict[str, dict]) -> str | None:
    """Why the default cache cannot hold the site's limits, or None when it can.

    A local-memory cache is one per process: with two gunicorn workers every rate limit
    and throttle lets twice as much through, and a restart forgets them; the dummy cache
    counts nothing at all.
    """
    backend = caches.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return f"The default cache is {backend.rsplit('.', 1)[-1]}, one per process"
    return None


@register(Tags.security, Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs) -> list[CheckMessage]:
    """The rate limits and throttles count in the default cache."""
    problem = per_process_cache_problem(settings.CACHES)
    if problem is None:
        return []
    return [
        Error(
            f"{problem}: each web process counts rate limits and throttles on its own.",
            hint=f"Set CACHE_URL to a shared cache: {PRODUCTION_CACHE_URL} (then "
            "`manage.py createcachetable`) or redis://host:6379/2.",
            id="config.E010",
        )
    ]


@register(Tags.security, deploy=True)
def argon2_parameters(app_configs, **kwargs) -> list[CheckMessage]:
    """Weaker Argon2 parameters make a stolen table of hashes cheaper to crack."""
    problem = argon2_parameters_problem(
        settings.ARGON2_TIME_COST, settings.ARGON2_MEMORY_COST, settings.ARGON2_PARALLELISM
    )
    if problem is None:
        return []
    return [
        Error(
            f"{problem}: a stolen password table would be cheaper to crack.",
            hint="Unset ARGON2_TIME_COST, ARGON2_MEMORY_COST and ARGON2_PARALLELISM "
            "(Django's defaults: t=2, m=102400, p=8), or choose a configuration of "
            "OWASP's Password Storage Cheat Sheet.",
            id="config.E020",
        )
    ]
