"""The orchestrator's probes (docs/monitoring.md, "Probes").

``/healthz`` (liveness) says the process answers requests and touches nothing else: a
database or broker outage must not make an orchestrator restart healthy web
processes. ``/readyz`` (readiness) checks that the database answers ``SELECT 1`` and
the broker accepts a connection, each within ``READYZ_TIMEOUT`` seconds, and names the
part that did not. Both are never cached and no rate limit applies to them.

Each check runs in a thread of its own (one per part, reused), so a server that
accepts the connection and then hangs costs the probe ``READYZ_TIMEOUT``, not the
socket's timeout; while a hung check is still running, later probes report the part
down at once instead of queueing more work behind it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def database_check() -> None:
    connection = connections["default"]
    # This thread's connection is kept between probes; the request cycle's clean-up
    # never runs here, so the age and health limits are applied by hand.
    connection.close_if_unusable_or_obsolete()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        connection.close()
        raise


def broker_check() -> None:
    timeout = settings.READYZ_TIMEOUT
    with celery_app.connection_for_write(connect_timeout=timeout) as connection:
        connection.ensure_connection(max_retries=0, timeout=timeout)


CHECKS: dict[str, Callable[[], None]] = {"database": database_check, "broker": broker_check}


class Part:
    """One part's check, run in its own reused thread; never more than one at a time."""

    def __init__(self, name: str, check: Callable[[], None]) -> None:
        self.name = name
        self.check = check
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"readyz-{name}")
        self.lock = threading.Lock()
        self.running: Future | None = None

    def start(self) -> Future | None:
        """The check, started; None while the previous one still runs (a hung server)."""
        with self.lock:
            if self.running is not None and not self.running.done():
                return None
            self.running = self.executor.submit(self.check)
            return self.running


def outcome(future: Future | None, deadline: float, timeout: float, started: float) -> dict:
    if future is None:
        return {"ok": False, "error": "the previous check has not returned yet"}
    try:
        future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        return {"ok": False, "error": f"no answer within {timeout:g} s"}
    except Exception as exc:
        # The class only: the message may name hosts and users.
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "seconds": round(time.monotonic() - started, 4)}


PARTS = [Part(name, check) for name, check in CHECKS.items()]


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    timeout = settings.READYZ_TIMEOUT
    started = time.monotonic()
    # The parts are checked at once: a probe takes READYZ_TIMEOUT at most, not the sum.
    futures = {part.name: part.start() for part in PARTS}
    deadline = started + timeout
    checks = {name: outcome(future, deadline, timeout, started) for name, future in futures.items()}
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "unavailable" if failing else "ok", "checks": checks, "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)
