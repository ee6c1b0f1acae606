"""The environment, read through django-environ, and the paths every settings module uses."""

from pathlib import Path

import environ

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Where the embedded defaults keep their state: the SQLite file and the broker.
VAR_DIR = Path(env.str("LIGHTBLOG_VAR_DIR", default=str(BASE_DIR / "var")))
