"""Settings of the benchmark processes: the test settings (DEBUG off, Argon2 first, the
production Celery settings) plus the ``bench`` app, which adds the trivial baseline view
and, when ``BENCH_TIME_PUBLISH`` is set, times every task publish inside a request."""

from config.settings.test import *  # noqa: F403
from config.settings.test import INSTALLED_APPS, PASSWORD_HASHERS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"

# Production's hasher (its Argon2 parameters from ARGON2_*), not the test settings'.
PASSWORD_HASHERS = ["config.hashers.Argon2PasswordHasher", *PASSWORD_HASHERS[1:]]
