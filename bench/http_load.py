"""A closed-loop HTTP GET load generator on raw sockets: a few threads, each sending one
request at a time for a fixed duration. Cheap per request (no HTTP library), so the
client takes little of the CPU the server needs; identical for every URL compared."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _get(host: str, port: int, path: str, extra: str = "") -> int:
    """One ``GET path`` (HTTP/1.0, so the server closes): the status code. ``extra``
    is more header lines, each ending in CRLF."""
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
        chunks = []
        while data := conn.recv(65536):
            chunks.append(data)
    head = b"".join(chunks[:1])
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0


def hammer(
    base_url: str,
    paths: Sequence[str],
    *,
    seconds: float,
    concurrency: int = 4,
    cookies: Mapping[str, str] | None = None,
) -> LoadResult:
    """GET ``paths`` (round robin) from ``concurrency`` threads for ``seconds``, each
    request sending ``cookies`` (a session cookie: a signed-in reader)."""
    host, port = base_url.removeprefix("http://").split(":")
    extra = ""
    if cookies:
        extra = "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()) + "\r\n"
    cycle = itertools.cycle(paths)
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds

    def loop() -> None:
        nonlocal errors
        mine: list[float] = []
        bad = 0
        while time.monotonic() < stop_at:
            with lock:
                path = next(cycle)
            started = time.monotonic()
            try:
                status = _get(host, int(port), path, extra)
            except OSError:
                status = 0
            if status == 200:
                mine.append(time.monotonic() - started)
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    started = time.monotonic()
    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(len(latencies), errors, time.monotonic() - started, latencies)
