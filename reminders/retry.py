"""The one retry policy of every email task: how long to wait, and when to give up.

``remind`` (through ``reminder_deliver``), ``remind_batch`` (each reminder on its own)
and ``digest`` all wait :func:`retry_delay` before attempt ``n + 1`` and stop after
``REMINDERS_MAX_RETRIES`` retries (:func:`retries_left`).
"""

from __future__ import annotations

import random

from django.conf import settings


class TemporaryFailure(Exception):
    """A send failed for a reason that may pass (SMTP 4xx, connection refused, timeout)."""


def retry_delay(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): doubling from REMINDERS_RETRY_DELAY,
    capped at REMINDERS_RETRY_MAX_DELAY (below the brokers' timeouts for a held
    message), then up to 20% earlier at random so that retries of a burst spread out."""
    base = settings.REMINDERS_RETRY_DELAY * 2 ** min(attempt - 1, 30)
    capped = min(base, settings.REMINDERS_RETRY_MAX_DELAY)
    return random.uniform(capped * 0.8, capped)


def retries_left(attempts: int) -> bool:
    """Whether a send that has made ``attempts`` attempts may be tried again."""
    return attempts <= settings.REMINDERS_MAX_RETRIES
