"""The probes: ``/healthz`` touches nothing, ``/readyz`` checks the database and the
broker within ``READYZ_TIMEOUT`` and names what is down. The outages are real: the
subprocess server is pointed at closed ports."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.support import processes
from tests.support.smtp import free_port


def get(url: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_healthz_answers_without_the_database(client) -> None:
    # No django_db mark: pytest-django's blocker fails any database access here.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_readyz_with_database_and_broker_up(client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert "no-store" in response["Cache-Control"]


@pytest.fixture
def web(subprocess_env, tmp_path):
    """A gunicorn on the test's database and broker, with overrides for an outage."""
    started: list[processes.ManagedProcess] = []

    def start(**overrides: str) -> str:
        port = free_port()
        env = subprocess_env(READYZ_TIMEOUT="2", **overrides)
        server = processes.gunicorn(env=env, log_dir=tmp_path, port=port, workers=1)
        started.append(server.start())
        base = f"http://127.0.0.1:{port}"
        processes.wait_for_http(base, process=server)
        return base

    yield start
    for server in started:
        server.stop()


def test_readyz_over_a_real_server_names_a_broker_that_is_down(web) -> None:
    base = web(CELERY_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}//")

    started = time.monotonic()
    status, headers, body = get(base + "/readyz")
    elapsed = time.monotonic() - started

    assert status == 503
    answer = json.loads(body)
    assert answer["status"] == "unavailable"
    assert answer["failing"] == ["broker"]
    assert answer["checks"]["database"]["ok"] is True
    assert answer["checks"]["broker"]["ok"] is False
    assert "no-store" in headers["Cache-Control"]
    assert elapsed < 10  # the probe's own bound (READYZ_TIMEOUT=2), with room for CI
    # Liveness does not depend on the broker: the process is fine.
    status, headers, body = get(base + "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert "no-store" in headers["Cache-Control"]


def require_mysqlclient() -> None:
    """The database outage is a MariaDB at a closed port, so the driver must be there:
    ``make test`` installs pure-Python wheels only and skips (saying so, CI or not);
    ``make test-services`` installs mysqlclient (requirements/production.txt) and runs it."""
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        pytest.skip("mysqlclient is not installed (make test); make test-services runs this")


def test_readyz_over_a_real_server_names_a_database_that_is_down(web) -> None:
    require_mysqlclient()
    base = web(DATABASE_URL=f"mysql://root@127.0.0.1:{free_port()}/lightblog")

    status, _, body = get(base + "/readyz")

    assert status == 503
    answer = json.loads(body)
    assert answer["failing"] == ["database"]
    assert answer["checks"]["broker"]["ok"] is True
    # The class of the error only: its message would name hosts and users.
    assert answer["checks"]["database"]["error"] == "OperationalError"
    assert get(base + "/healthz")[0] == 200


def test_probes_keep_the_allowed_hosts_check(web) -> None:
    """A probe that sends the pod's address as Host is refused like any other request:
    the probe must send an allowed Host header (docs/monitoring.md, "Probes")."""
    base = web()

    assert get(base + "/healthz", host="10.1.2.3")[0] == 400
    assert get(base + "/healthz", host="localhost")[0] == 200


def test_metrics_say_the_database_is_down_instead_of_failing(web) -> None:
    """The scrape still succeeds: the state families are missing and
    ``lightblog_reminders_collector_up`` is 0, which the rules alert on."""
    require_mysqlclient()
    base = web(
        DATABASE_URL=f"mysql://root@127.0.0.1:{free_port()}/lightblog",
        METRICS_ALLOWED_IPS="127.0.0.1",
    )

    status, headers, body = get(base + "/metrics")

    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert "no-store" in headers["Cache-Control"]
    text = body.decode()
    assert "\nlightblog_reminders_collector_up 0.0\n" in text
    assert "lightblog_reminders_outbox" not in text
