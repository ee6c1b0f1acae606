"""Settings for a developer's machine: ``make run``."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT
from .env import env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)

# STATIC
# ------------------------------------------------------------------------------
# WhiteNoise warns at every request while STATIC_ROOT does not exist (it is filled
# by collectstatic in production); app static files are served from the apps here.
STATIC_ROOT.mkdir(exist_ok=True)
