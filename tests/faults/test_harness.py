"""The fault-injection harness itself: the proxy cuts and restores, the tally counts right,
and a prefork worker subprocess behind the proxies survives a broker cut."""

from __future__ import annotations

import socket
import threading
import time
from email.message import EmailMessage

import pytest
from django_celery_results.models import TaskResult

from reminders.tasks import multiply
from tests.support.polling import wait_until
from tests.support.proxy import TCPProxy
from tests.support.tally import tally


@pytest.fixture
def echo_server():
    """A TCP echo server on a free port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stopped = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept() -> None:
        while not stopped.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stopped.set()
    thread.join()
    listener.close()


def echo(port: int, payload: bytes = b"ping", timeout: float = 2) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(payload)
        return conn.recv(4096)


def test_proxy_forwards_both_ways(echo_server: int) -> None:
    with TCPProxy("127.0.0.1", echo_server) as proxy:
        assert echo(proxy.port, b"hello") == b"hello"
        assert proxy.accepted == 1


def test_cut_breaks_live_connections_and_refuses_new_ones_until_restore(echo_server) -> None:
    with TCPProxy("127.0.0.1", echo_server) as proxy:
        live = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        live.sendall(b"before")
        assert live.recv(4096) == b"before"

        assert proxy.cut() == 1

        # The live connection is gone: reads end or reset, at once.
        with pytest.raises(OSError):
            live.sendall(b"after")
            if live.recv(4096) == b"":
                raise ConnectionResetError("closed")
        live.close()
        # A new one is reset as soon as it is accepted.
        with pytest.raises(OSError):
            if echo(proxy.port) == b"":
                raise ConnectionResetError("closed")

        proxy.restore()
        assert echo(proxy.port, b"again") == b"again"


def test_blackhole_holds_new_connections_silent(echo_server: int) -> None:
    with TCPProxy("127.0.0.1", echo_server) as proxy:
        proxy.cut(new="blackhole")
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            echo(proxy.port, timeout=0.5)
        assert time.monotonic() - started >= 0.5
        proxy.restore()
        assert echo(proxy.port, b"back") == b"back"


def test_url_for_replaces_host_and_port_only() -> None:
    proxy = TCPProxy("127.0.0.1", 1)
    with proxy:
        port = proxy.port
        assert (
            proxy.url_for("amqp://guest:guest@127.0.0.1:5672/h_faults")
            == f"amqp://guest:guest@127.0.0.1:{port}/h_faults"
        )
        assert proxy.url_for("redis://127.0.0.1:6379/3") == f"redis://127.0.0.1:{port}/3"
        assert (
            proxy.url_for("mysql://root@127.0.0.1:3306/test_faults")
            == f"mysql://root@127.0.0.1:{port}/test_faults"
        )


def message(to: str, subject: str = "Welcome!") -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = subject
    return msg


def test_tally_counts_lost_and_duplicates() -> None:
    received = [
        message("a@example.com"),
        message("B@example.com"),
        message("b@example.com"),
        message("b@example.com"),
        message("c@example.com", subject="Something else"),
        message("stranger@example.com"),
    ]

    result = tally(
        received, ["a@example.com", "b@example.com", "c@example.com"], subject="Welcome!"
    )

    assert result.line == "sent=2 lost=1 duplicates=2"
    assert result.lost_recipients == ("c@example.com",)
    assert result.duplicated_recipients == ("b@example.com",)


@pytest.mark.faults
@pytest.mark.worker
def test_prefork_worker_behind_the_proxies_survives_a_broker_cut(stack) -> None:
    worker = stack.worker()

    first = multiply.delay(6, 7)
    assert first.get(timeout=60) == 42

    assert stack.proxies.broker.cut() >= 1
    # The cut lasts until the worker has noticed it: its connection is gone and
    # a reconnect attempt has been refused (a new connection is reset at once).
    wait_until(
        lambda: stack.proxies.broker.live_connections == 0 and "Connection" in worker.log(),
        timeout=60,
        message="worker notices the broker cut",
    )
    stack.proxies.broker.restore()

    second = multiply.delay(7, 8)
    assert second.get(timeout=120) == 56
    assert worker.alive()
    assert TaskResult.objects.filter(status="SUCCESS").count() == 2
