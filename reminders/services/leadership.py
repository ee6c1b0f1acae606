"""The beat lease: one row that says which beat process schedules, until when.

Every beat calls :func:`beat_lease_hold` before it schedules anything. One
conditional UPDATE takes the row when it is free (expired) or renews it for the
process that holds it; the row's unique name makes the first INSERT race-free. Plain
SQL that SQLite and MariaDB run alike, no server lock: see docs/deployment.md,
"Several beats".
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from ..models import BeatLease

logger = logging.getLogger(__name__)

BEAT_LEASE_NAME = "celery-beat"


def beat_holder_id() -> str:
    """``host:pid:random``: unique per process, readable in the admin and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def beat_lease_hold(
    *,
    holder: str,
    seconds: float,
    name: str = BEAT_LEASE_NAME,
    now: datetime | None = None,
) -> bool:
    """Take or renew the lease for ``holder`` for ``seconds``; False while another
    process holds an unexpired one.

    Expiry is judged by this process's clock against the time the holder wrote with
    its own: the clocks of the beat hosts must agree to well within the lease (NTP).
    """
    now = now or timezone.now()
    expires_at = now + timedelta(seconds=seconds)
    taken = (
        BeatLease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lt=now))
        .update(
            # A new holder's leadership starts now; the same holder keeps its start.
            acquired_at=Case(When(holder=holder, then=F("acquired_at")), default=Value(now)),
            holder=holder,
            expires_at=expires_at,
            last_tick_at=now,
        )
    )
    if taken:
        return True
    if BeatLease.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            BeatLease.objects.create(
                name=name, holder=holder, expires_at=expires_at, acquired_at=now, last_tick_at=now
            )
    except IntegrityError:  # another beat created it first
        return False
    return True


def beat_lease_release(*, holder: str, name: str = BEAT_LEASE_NAME) -> bool:
    """Let the lease go at once (a clean shutdown), so a waiting beat takes over at its
    next poll rather than after the expiry. Only the holder can release it."""
    now = timezone.now()
    return bool(
        BeatLease.objects.filter(name=name, holder=holder).update(
            expires_at=now - timedelta(seconds=1)
        )
    )
