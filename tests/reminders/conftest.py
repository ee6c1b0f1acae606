"""Fixtures of the reminders tests: short pipeline intervals, an unreachable broker, an
SMTP server that counts its connections, and Celery workers as real subprocesses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.support import processes
from tests.support.smtp import SMTPServer, free_port


@pytest.fixture
def fast_pipeline(settings) -> None:
    """Seconds instead of minutes. The in-thread worker reads the same settings."""
    settings.REMINDERS_ETA_HORIZON = 600
    settings.REMINDERS_RETRY_DELAY = 1
    settings.REMINDERS_RETRY_MAX_DELAY = 2
    settings.REMINDERS_MAX_RETRIES = 5
    settings.REMINDERS_LEASE = 600
    settings.REMINDERS_ENQUEUE_GRACE = 600


def _reset_connection_pools() -> None:
    # The app caches its connection and producer pools; dropping them makes the next
    # publish connect to whatever conf.broker_url now names.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_unreachable() -> Iterator[str]:
    """Point this process's publishes at a closed port (a broker that is down).

    Real connections are refused by the operating system; nothing is mocked. Used
    before a worker starts: the worker connects to the real broker afterwards.
    """
    conf = celery_app.conf
    names = ("broker_url", "broker_write_url", "broker_transport", "broker_transport_options")
    saved = {name: conf[name] for name in names}
    closed = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    # broker_write_url is what publishing uses; Celery fills it from broker_url.
    conf.update(
        broker_url=closed,
        broker_write_url=closed,
        broker_transport=None,
        broker_transport_options={},
    )
    _reset_connection_pools()
    try:
        yield closed
    finally:
        conf.update(saved)
        _reset_connection_pools()


@pytest.fixture
def counting_smtp(smtp_server: SMTPServer) -> SMTPServer:
    """The SMTP server, also counting connections (``recorder.sessions``: one per EHLO)."""
    recorder = smtp_server.recorder
    recorder.sessions = 0

    async def handle_EHLO(server, session, envelope, hostname, responses):
        recorder.sessions += 1
        session.host_name = hostname
        return responses

    recorder.handle_EHLO = handle_EHLO
    return smtp_server


def slow_data(smtp_server: SMTPServer, seconds: float) -> None:
    """Make the server take ``seconds`` to accept each message (a busy relay)."""
    recorder = smtp_server.recorder
    accept = type(recorder).handle_DATA

    async def handle_DATA(server, session, envelope):
        await asyncio.sleep(seconds)
        return await accept(recorder, server, session, envelope)

    recorder.handle_DATA = handle_DATA


@pytest.fixture
def worker_process(subprocess_env, smtp_server: SMTPServer, request):
    """Start ``celery -A config worker --pool prefork --concurrency 2`` subprocesses on this
    test's database and broker, sending to ``smtp_server``; each is ready when returned.
    All are stopped (SIGTERM, then SIGKILL) at teardown, and their logs printed."""
    started: list[processes.ManagedProcess] = []
    log_dir = Path(settings.VAR_DIR) / "reminders-logs" / request.node.name.replace("/", "_")
    celery_app.control.purge()

    def start(name: str = "worker", **env: str) -> processes.ManagedProcess:
        process = processes.celery_worker(
            env=subprocess_env(EMAIL_URL=smtp_server.url, **env), log_dir=log_dir, name=name
        )
        started.append(process)
        process.start()
        process.wait_for_log(processes.WORKER_READY, timeout=120)
        return process

    try:
        yield start
    finally:
        for process in reversed(started):
            process.stop()
        for process in started:
            print(f"\n----- {process.name} ({process.log_path}) -----\n{process.tail(40)}")
        celery_app.control.purge()
