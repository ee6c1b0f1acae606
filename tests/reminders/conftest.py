"""Fixtures of the reminders tests: short pipeline intervals and an unreachable broker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from config.celery import app as celery_app
from tests.conftest import free_port


@pytest.fixture
def fast_pipeline(settings) -> None:
    """Seconds instead of minutes. The in-thread worker reads the same settings."""
    settings.REMINDERS_ETA_HORIZON = 600
    settings.REMINDERS_RETRY_DELAY = 1
    settings.REMINDERS_RETRY_MAX_DELAY = 2
    settings.REMINDERS_MAX_RETRIES = 5
    settings.REMINDERS_LEASE = 600
    settings.REMINDERS_ENQUEUE_GRACE = 600


def wait_until(condition: Callable[[], object], timeout: float = 30.0, step: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    pytest.fail(f"condition not met within {timeout} s: {condition}")


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
