"""Fixtures of the fault tests: the real servers behind proxies, and the site's processes.

``stack`` gives a test the configured MariaDB and broker (RabbitMQ, or Redis in the
second pass of ``make test-services``) and the ``smtp_server`` sink, each behind a
``TCPProxy`` it can cut, plus starters for a Celery worker, beat and gunicorn as
subprocesses on the pytest test database. Everything it started is stopped in its
teardown, whatever the test did.

These tests need the servers: in an embedded run (SQLite + filesystem broker) they
skip and say so; with servers configured but not answering they fail when CI is set.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.conftest import database_url_for_subprocess, require_server
from tests.support import processes
from tests.support.proxy import TCPProxy
from tests.support.smtp import SMTPServer, free_port

# Short intervals for the subprocesses, so faults resolve in seconds: the same
# settings an operator would set, read by config/settings from the environment.
SHORT_INTERVALS = {
    "REMINDERS_RETRY_DELAY": "2",
    # A claim of a killed worker is taken back after this...
    "REMINDERS_LEASE": "20",
    # ...and a message it held unacknowledged is republished after this (RabbitMQ
    # requeues it at once; Redis only after its visibility timeout, an hour).
    "REMINDERS_ENQUEUE_GRACE": "15",
    "EMAIL_TIMEOUT": "5",
    "CONN_MAX_AGE": "60",
}

DEFAULT_PORTS = {"amqp": 5672, "pyamqp": 5672, "redis": 6379, "mysql": 3306}


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or DEFAULT_PORTS[parts.scheme]


@dataclass
class Servers:
    """The servers this run is configured for; the test database is ``database_url``."""

    database_url: str
    broker_url: str

    @property
    def broker(self) -> str:
        return urlsplit(self.broker_url).scheme


def configured_servers() -> Servers:
    """Skip in an embedded run; fail (CI) or skip when a configured server does not answer."""
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    scheme = urlsplit(settings.CELERY_BROKER_URL).scheme
    if engine != "mysql" or scheme not in ("amqp", "pyamqp", "redis"):
        pytest.skip(
            f"fault tests run on MariaDB with RabbitMQ or Redis (`make test-services`); "
            f"this run is on database={engine} broker={scheme}"
        )
    database_url = database_url_for_subprocess()
    require_server("MariaDB", *_host_port(database_url))
    require_server(scheme, *_host_port(settings.CELERY_BROKER_URL))
    return Servers(database_url=database_url, broker_url=settings.CELERY_BROKER_URL)


@dataclass
class Proxies:
    broker: TCPProxy
    database: TCPProxy
    smtp: TCPProxy


@dataclass
class FaultStack:
    """The servers behind proxies, and the processes a test started on them."""

    servers: Servers
    proxies: Proxies
    sink: SMTPServer
    log_dir: Path
    processes: list[processes.ManagedProcess] = field(default_factory=list)

    def env(self, **overrides: str) -> dict[str, str]:
        """Environment of a subprocess: the test database, broker and SMTP, through the proxies."""
        env = dict(os.environ)
        env.update(SHORT_INTERVALS)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=self.proxies.database.url_for(self.servers.database_url),
            CELERY_BROKER_URL=self.proxies.broker.url_for(self.servers.broker_url),
            EMAIL_URL=f"smtp://{self.proxies.smtp.host}:{self.proxies.smtp.port}",
            PYTHONUNBUFFERED="1",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        )
        env.update(overrides)
        return env

    def _started(self, process: processes.ManagedProcess) -> processes.ManagedProcess:
        self.processes.append(process)
        return process.start()

    def worker(self, *, name: str = "worker", ready: bool = True, **env: str):
        """A prefork worker, concurrency 2; returns once it consumes (unless ``ready=False``)."""
        process = self._started(
            processes.celery_worker(env=self.env(**env), log_dir=self.log_dir, name=name)
        )
        if ready:
            process.wait_for_log(processes.WORKER_READY, timeout=90)
        return process

    def beat(self, *, name: str = "beat", **env: str) -> processes.ManagedProcess:
        process = self._started(
            processes.celery_beat(env=self.env(**env), log_dir=self.log_dir, name=name)
        )
        process.wait_for_log(processes.BEAT_READY, timeout=60)
        return process

    def web(self, *, workers: int = 2, threads: int = 1, **env: str) -> str:
        """gunicorn on a free port; returns its base URL once it answers."""
        port = free_port()
        process = self._started(
            processes.gunicorn(
                env=self.env(**env),
                log_dir=self.log_dir,
                port=port,
                workers=workers,
                threads=threads,
            )
        )
        base_url = f"http://127.0.0.1:{port}"
        processes.wait_for_http(base_url, timeout=90, process=process)
        return base_url

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(Exception):
                process.stop()


@pytest.fixture
def servers(transactional_db: None) -> Servers:
    return configured_servers()


@pytest.fixture
def stack(
    servers: Servers, smtp_server: SMTPServer, request: pytest.FixtureRequest
) -> Iterator[FaultStack]:
    """Proxies in front of broker, database and SMTP sink; starters for the site's processes."""
    celery_app.control.purge()
    log_dir = Path(settings.VAR_DIR) / "faults-logs" / request.node.name.replace("/", "_")
    proxies = Proxies(
        broker=TCPProxy(*_host_port(servers.broker_url), name="broker-proxy").start(),
        database=TCPProxy(*_host_port(servers.database_url), name="database-proxy").start(),
        smtp=TCPProxy(smtp_server.host, smtp_server.port, name="smtp-proxy").start(),
    )
    stack = FaultStack(servers=servers, proxies=proxies, sink=smtp_server, log_dir=log_dir)
    try:
        yield stack
    finally:
        stack.stop_all()
        for proxy in (proxies.smtp, proxies.database, proxies.broker):
            proxy.stop()
        # The logs of every process, shown by pytest when the test failed.
        for process in stack.processes:
            print(f"\n----- {process.name} ({process.log_path}) -----\n{process.tail(60)}")
        celery_app.control.purge()
