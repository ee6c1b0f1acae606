"""A TCP proxy owned by a test, placed in front of a server to cut and restore it.

The fault tests point the worker, beat and gunicorn at the proxy instead of the
server (broker, database, SMTP). ``cut()`` breaks every live connection at once
(a reset, as a crashed server or a dropped network link does) and answers new
ones by a reset (``new="refuse"``) or by silence (``new="blackhole"``, a network
partition: the client waits for its own timeout). ``restore()`` forwards again.
No server is stopped and nothing needs root.

Threads, not asyncio: a handful of connections per test, and blocking sockets
keep the forwarding loop obvious.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

NewConnections = Literal["refuse", "blackhole"]


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0), waking any thread blocked on it."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class TCPProxy:
    """Forward ``127.0.0.1:<free port>`` to ``target_host:target_port`` until cut."""

    def __init__(self, target_host: str, target_port: int, *, name: str = "proxy") -> None:
        self.target = (target_host, target_port)
        self.name = name
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._held: set[socket.socket] = set()  # blackholed clients
        self._cut: NewConnections | None = None
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self.accepted = 0  # connections forwarded since start
        self.cuts = 0  # live connections broken by cut()

    # Life cycle
    # --------------------------------------------------------------------------
    def start(self) -> TCPProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(512)
        listener.settimeout(0.2)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, name=self.name, daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        self._break_all()

    def __enter__(self) -> TCPProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the proxy first"
        return self._listener.getsockname()[1]

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def is_cut(self) -> bool:
        return self._cut is not None

    @property
    def live_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def url_for(self, url: str) -> str:
        """``url`` (amqp, redis, mysql, smtp) with its host and port replaced by ours."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    # Faults
    # --------------------------------------------------------------------------
    def cut(self, new: NewConnections = "refuse") -> int:
        """Break every live connection; refuse or blackhole new ones until ``restore()``.

        Returns how many live connections were broken.
        """
        with self._lock:
            self._cut = new
        broken = self._break_all()
        self.cuts += broken
        logger.info("%s: cut (%d live connections broken, new ones %s)", self.name, broken, new)
        return broken

    def restore(self) -> None:
        with self._lock:
            self._cut = None
            held, self._held = self._held, set()
        for sock in held:
            _reset(sock)
        logger.info("%s: restored", self.name)

    def _break_all(self) -> int:
        with self._lock:
            pairs, self._pairs = self._pairs, set()
            held, self._held = self._held, set()
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)
        for sock in held:
            _reset(sock)
        return len(pairs)

    # Forwarding
    # --------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                mode = self._cut
                if mode == "blackhole":
                    self._held.add(client)
                    continue
            if mode == "refuse":
                _reset(client)
                continue
            threading.Thread(target=self._open, args=(client,), daemon=True).start()

    def _open(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = (client, upstream)
        with self._lock:
            if self._cut is not None:  # cut while we were connecting
                _reset(client)
                _reset(upstream)
                return
            self._pairs.add(pair)
            self.accepted += 1
        threading.Thread(target=self._pump, args=(client, upstream, pair), daemon=True).start()
        self._pump(upstream, client, pair)

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        pair: tuple[socket.socket, socket.socket],
    ) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        # One side closed (or the pair was cut): close both, once.
        with self._lock:
            if pair not in self._pairs:
                return
            self._pairs.discard(pair)
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
