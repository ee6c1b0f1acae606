"""The project itself as an app: it prepares, at start-up, the folders the settings name.

Importing the settings creates nothing. Every process (manage.py, gunicorn, the Celery
worker and beat through Celery's Django fix-up, pytest-django) runs ``django.setup()``,
and so this ``ready()``, before it opens a database connection. The filesystem
broker's folders are made by its transport when it connects (config/filesystem_broker.py).
"""

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.utils.module_loading import import_string

SQLITE_ENGINE = "django.db.backends.sqlite3"


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "Lightblog"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        make_runtime_folders()
        # The /metrics system check, and a worker's metrics port once its pool is up.
        from celery.signals import worker_ready

        from config import metrics

        worker_ready.connect(metrics.serve_worker_metrics, dispatch_uid="config.worker_metrics")


def make_runtime_folders() -> None:
    """The SQLite files' folders (sqlite3 cannot create a file in a missing one) and,
    unless collectstatic fills it, an empty STATIC_ROOT for WhiteNoise.

    Not PROMETHEUS_MULTIPROC_DIR: the metrics are created while the apps load, before
    any ready(), and the folder must be emptied before the processes start anyway
    (docs/monitoring.md, "Several processes"), which is the process manager's job."""
    for folder in sqlite_folders(settings.DATABASES):
        folder.mkdir(parents=True, exist_ok=True)
    storage = import_string(settings.STORAGES["staticfiles"]["BACKEND"])
    if settings.STATIC_ROOT and not issubclass(storage, ManifestFilesMixin):
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def sqlite_folders(databases: dict[str, dict]) -> set[Path]:
    """The folders of the SQLite database files, test databases included."""
    names = set()
    for database in databases.values():
        if database.get("ENGINE") == SQLITE_ENGINE:
            names.add(str(database.get("NAME") or ""))
            names.add(str((database.get("TEST") or {}).get("NAME") or ""))
    # In-memory databases and "file:" URIs have no folder to make.
    return {Path(name).parent for name in names if name and not name.startswith((":", "file:"))}
