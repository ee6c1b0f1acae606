"""Sending a list of emails over several SMTP connections at once (lanes).

Each lane is one connection that sends its share strictly in order: the caller's
``record`` runs after the server answered a message and before that lane's next
message goes out. Whatever ``record`` writes (a "sent" row, say) is therefore never
more than one message behind the server on each connection: a process killed mid-run
leaves at most one accepted, unrecorded message per lane.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.core.mail import EmailMessage
from django.db import connections

from .smtp import SendOutcome, smtp_send_each

T = TypeVar("T")

# record(outcome, stranded): ``stranded`` are the lane's items that will not be sent
# because this outcome lost the connection (they meet the same failure); else empty.
Record = Callable[[SendOutcome[T], list[T]], None]


def send_lane(
    items: Sequence[T],
    build: Callable[[T], EmailMessage],
    record: Record[T],
    *,
    deadline: float,
    stop: threading.Event | None = None,
) -> list[T]:
    """Send ``items`` in order over one SMTP connection, calling ``record`` after each
    answer. Stops handing messages to the server once ``time.monotonic()`` passes
    ``deadline`` or ``stop`` is set; returns the items never handed to it then."""

    def in_time() -> Iterator[T]:
        for item in items:
            if time.monotonic() > deadline or (stop is not None and stop.is_set()):
                return
            yield item

    answered = 0
    for outcome in smtp_send_each(in_time(), build):
        answered += 1
        stranded: list[T] = []
        if outcome.connection_lost:
            stranded = list(items[answered:])
            answered = len(items)
        record(outcome, stranded)
    return list(items[answered:])


def send_in_lanes(
    lanes: Sequence[Sequence[T]],
    build: Callable[[T], EmailMessage],
    record: Record[T],
    *,
    deadline: float,
) -> list[T]:
    """:func:`send_lane` for each lane at once, each in a thread with its own SMTP and
    database connections; returns every lane's items never handed to the server.

    The threads wait on the network most of the time, so the GIL is no bottleneck;
    ``record`` is called from them and must be safe to call from several threads. If
    the calling thread is interrupted (a soft time limit) or a lane raises, the other
    lanes stop after their current message and are waited for.
    """
    if len(lanes) == 1:
        return send_lane(lanes[0], build, record, deadline=deadline)
    stop = threading.Event()

    def run(lane: Sequence[T]) -> list[T]:
        try:
            return send_lane(lane, build, record, deadline=deadline, stop=stop)
        finally:
            connections.close_all()  # this thread's own; the pool's threads end here

    with ThreadPoolExecutor(len(lanes), thread_name_prefix="mail_lane") as pool:
        futures = [pool.submit(run, lane) for lane in lanes]
        try:
            # A lane's exception (its database gone) is the caller's, as with one lane.
            return [item for future in futures for item in future.result()]
        finally:
            stop.set()
