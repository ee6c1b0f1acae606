"""Settings for a developer's machine: ``make run``."""

from .base import *  # noqa: F403
from .env import env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)
