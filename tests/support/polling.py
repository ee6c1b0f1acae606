"""Waiting for something another thread or process does: one helper for the suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float = 30.0, *, step: float = 0.05, message: str = ""
) -> T:
    """Poll ``condition`` until it returns something truthy, and return that.

    Raises ``TimeoutError`` (naming ``message``, or the condition) after ``timeout``
    seconds. The timeout is a generous bound on a broken run, not a tuned sleep: a
    passing run returns as soon as the condition holds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message or condition} not reached within {timeout:.0f} s")
        time.sleep(step)
