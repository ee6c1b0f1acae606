"""Settings for a developer's machine: ``make run``."""

from .base import *  # noqa: F403
from .env import env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)

# MONITORING
# ------------------------------------------------------------------------------
# /metrics answers this machine itself (docs/monitoring.md).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
