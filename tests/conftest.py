"""Fixtures shared by the whole suite: a real Celery worker, a real SMTP server,
and the environment for subprocesses (worker, beat, gunicorn) started by tests.

Nothing here mocks the pipeline: the worker consumes from the configured broker
(the filesystem broker in ``make test``, RabbitMQ and Redis in ``make test-services``),
writes results to the test database, and sends mail over SMTP to aiosmtpd.
The helpers behind the fixtures (the SMTP server, process control, polling) are
importable modules of ``tests/support/``, shared with ``bench/``.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing import tasks as _celery_ping_task  # noqa: F401  (registers celery.ping)
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.support.smtp import SMTPRecorder, SMTPServer, free_port

BASE_DIR = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


# SERVERS
# ------------------------------------------------------------------------------
def server_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip when a server is missing in an embedded run; fail when it is missing in CI."""
    if server_reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI is set: server tests never skip)")
    pytest.skip(f"{message}: embedded run, server test skipped")


def require_binary(name: str, package: str) -> str:
    """The path of the program ``name``; skip without it in an embedded run, fail in CI
    (``.ci/run`` installs Debian's ``package``)."""
    import shutil

    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (apt-get install {package})"
    if IN_CI:
        pytest.fail(f"{message}; CI is set: this test never skips")
    pytest.skip(f"{message}: embedded run, test skipped")


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    lines = [f"lightblog: database={database} broker={broker} CI={'yes' if IN_CI else 'no'}"]
    if database == "sqlite3" and broker == "filesystem":
        lines.append(
            "lightblog: embedded run (SQLite + filesystem broker); tests that need MariaDB, "
            "RabbitMQ or Redis skip here and say so; `make test-services` runs them."
        )
    # tests/e2e/conftest.py decides; said here, before the run, so nobody waits for it.
    if Path("/usr/bin/chromium").exists():
        lines.append("lightblog: browser tests (tests/e2e) run in /usr/bin/chromium")
    else:
        lines.append(
            "lightblog: /usr/bin/chromium missing: browser tests (tests/e2e) "
            + ("FAIL (CI is set)" if IN_CI else "skip")
            + "; apt-get install chromium"
        )
    # tests/config/test_monitoring.py and test_prometheus.py decide; said here too.
    if Path("/usr/bin/prometheus").exists() and Path("/usr/bin/promtool").exists():
        lines.append("lightblog: monitoring tests run /usr/bin/promtool and /usr/bin/prometheus")
    else:
        lines.append(
            "lightblog: /usr/bin/prometheus or promtool missing: monitoring tests "
            + ("FAIL (CI is set)" if IN_CI else "skip")
            + "; apt-get install prometheus"
        )
    return lines


# CELERY WORKER
# ------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _outbox_backend(settings) -> None:
    """Django's test set-up swaps ``EMAIL_BACKEND`` for its in-memory one: put the
    site's back, so every email a test causes goes into the outbox as in production.
    The pipeline delivers with ``REMINDERS_EMAIL_BACKEND`` (in-memory unless a test
    points it at an SMTP server: ``smtp_server``)."""
    settings.EMAIL_BACKEND = "reminders.outbox.EmailBackend"


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[object]:
    """A real worker consuming from the configured broker, in a thread of this process.

    It runs the project's own app (not a test app), so the task routing, acks_late,
    result backend (django-celery-results) and Django fix-ups are the real ones.
    Messages left in the queue by earlier tests are purged first.
    """
    celery_app.control.purge()
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=True,
        ping_task_timeout=30,
        shutdown_timeout=30,
        loglevel="INFO",
    ) as worker:
        yield worker
    celery_app.control.purge()


# SMTP SERVER
# ------------------------------------------------------------------------------
@pytest.fixture
def smtp_server(settings) -> Iterator[SMTPServer]:
    """A real SMTP server (aiosmtpd) in this process; the pipeline delivers mail to it."""
    recorder = SMTPRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    server = SMTPServer(recorder=recorder, host="127.0.0.1", port=port, controller=controller)
    settings.REMINDERS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield server
    server.stop()


# SUBPROCESSES
# ------------------------------------------------------------------------------
def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on (the test database), for a subprocess."""
    db = connection.settings_dict
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"sqlite:///{db['NAME']}"
    scheme = {"mysql": "mysql", "postgresql": "postgres"}[engine]
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"{scheme}://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"


@pytest.fixture
def subprocess_env(transactional_db: None) -> Callable[..., dict[str, str]]:
    """Environment for a worker, beat or web subprocess on this test's database and broker."""

    def make(**overrides: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=database_url_for_subprocess(),
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            PYTHONUNBUFFERED="1",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        )
        env.update(overrides)
        return env

    return make
