"""Publishing task messages: the only module that talks to the broker.

Messages are published by task *name* (the constants below), never by importing
``reminders.tasks``: services sit below tasks, and the names are already contracts
with beat's rows, the task routes and the messages in the queues. The verbs say what
can fail: :func:`reminders_publish` may raise (the broker is down);
:func:`reminders_enqueue` never raises and leaves what the broker did not take to
``dispatch_due``; :func:`enqueue_on_commit` waits for the transaction to commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Reminder

logger = logging.getLogger(__name__)

REMIND = "reminders.tasks.remind"
REMIND_BATCH = "reminders.tasks.remind_batch"
DISPATCH_DUE = "reminders.tasks.dispatch_due"
DIGEST = "reminders.tasks.digest"
PRUNE_OUTBOX = "reminders.tasks.prune_outbox"

_Id = TypeVar("_Id")


def reminders_publish(reminder_ids: Sequence[uuid.UUID | str], *, eta: datetime | None) -> None:
    """One message for these reminders: ``remind`` for one, ``remind_batch`` for more
    (at most ``REMINDERS_BATCH_SIZE``: see :func:`reminder_chunks`). Fails fast, and
    raises, when the broker cannot be reached."""
    ids = [str(pk) for pk in reminder_ids]
    name, arg = (REMIND, ids[0]) if len(ids) == 1 else (REMIND_BATCH, ids)
    current_app.signature(name, args=(arg,)).apply_async(eta=eta, **_fail_fast())


def reminders_enqueue(reminder_ids: Sequence[uuid.UUID], *, eta: datetime | None = None) -> int:
    """Publish these reminders in batches and mark them ``enqueued_at``; returns how many
    the broker took. Never raises: what it did not take stays pending, and
    ``dispatch_due`` publishes it once the broker is back."""
    now = timezone.now()
    published: list[uuid.UUID] = []
    try:
        for chunk in reminder_chunks(reminder_ids):
            reminders_publish(chunk, eta=eta)
            published += chunk
    except Exception:
        # Whatever broke the publish (connection refused, DNS, timeout, auth), the
        # reminders are committed and dispatch_due will publish them: the request or
        # task that saved them must not fail.
        logger.warning(
            "%d reminder(s) not queued (broker unreachable); dispatch_due will queue them.",
            len(reminder_ids) - len(published),
            exc_info=True,
        )
    mark_enqueued(published, now)
    return len(published)


def reminder_enqueue(*, reminder_id: uuid.UUID, next_attempt_at: datetime) -> bool:
    """Publish ``remind`` for a reminder due within ``REMINDERS_ETA_HORIZON`` (with
    ``eta`` when it is due later); a later one is left to ``dispatch_due``. Never
    raises, like :func:`reminders_enqueue`; returns whether it was published."""
    now = timezone.now()
    if next_attempt_at > now + timedelta(seconds=settings.REMINDERS_ETA_HORIZON):
        return False
    eta = next_attempt_at if next_attempt_at > now else None
    return reminders_enqueue([reminder_id], eta=eta) == 1


def reminders_enqueue_due(*, reminder_ids: Sequence[uuid.UUID]) -> int:
    """Publish reminders due now (the old name of ``reminders_enqueue(ids)``)."""
    return reminders_enqueue(reminder_ids)


def enqueue_on_commit(reminder_ids: Sequence[uuid.UUID], *, at: datetime | None = None) -> None:
    """Publish these reminders once the current transaction commits (never on a
    rollback). With ``at``, one reminder due then (the horizon applies); without, all
    of them now, in batches. ``robust``: a failure is logged, never raised into the
    request that committed."""
    if at is not None:
        [reminder_id] = reminder_ids
        callback = partial(reminder_enqueue, reminder_id=reminder_id, next_attempt_at=at)
    else:
        callback = partial(reminders_enqueue, list(reminder_ids))
    transaction.on_commit(callback, robust=True)


def reminder_chunks(reminder_ids: Sequence[_Id]) -> Iterator[list[_Id]]:
    """``reminder_ids`` in batches of at most ``REMINDERS_BATCH_SIZE``."""
    size = max(1, settings.REMINDERS_BATCH_SIZE)
    for start in range(0, len(reminder_ids), size):
        yield list(reminder_ids[start : start + size])


def mark_enqueued(reminder_ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Record that a message for these reminders was published at ``now``."""
    # In slices: one statement per thousand ids keeps the IN list of a big backlog small.
    for start in range(0, len(reminder_ids), 1000):
        Reminder.objects.filter(pk__in=reminder_ids[start : start + 1000]).update(enqueued_at=now)


def _fail_fast() -> dict[str, Any]:
    interval = settings.REMINDERS_PUBLISH_RETRY_INTERVAL
    return {
        "retry": True,
        "retry_policy": {
            "max_retries": settings.REMINDERS_PUBLISH_MAX_RETRIES,
            "interval_start": interval,
            "interval_step": interval,
            "interval_max": interval,
        },
    }
