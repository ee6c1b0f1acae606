"""Production settings for a test server: ``config.settings.production`` as it is, but
static files served without ``collectstatic``'s manifest (which a test does not build:
with the manifest storage every page, and the URLconf, would fail on a missing entry).
Nothing the security tests look at (cache, lockout, throttles) depends on it."""

from config.settings.production import *  # noqa: F403
from config.settings.production import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
