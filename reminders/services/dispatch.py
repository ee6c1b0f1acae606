"""Beat's sweep (``dispatch_due``, every minute): lost claims back, due work published."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Reminder, ReminderStatus
from .publishing import mark_enqueued, reminder_chunks, reminders_publish

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchReport:
    reclaimed: int
    given_up: int
    enqueued: int
    batches: int = 0
    # The run published as many as it may (REMINDERS_DISPATCH_BATCH): more may wait.
    more: bool = False

    def as_dict(self) -> dict[str, int]:
        return {
            "reclaimed": self.reclaimed,
            "given_up": self.given_up,
            "enqueued": self.enqueued,
            "batches": self.batches,
            "more": int(self.more),
        }


def reminders_dispatch_due() -> DispatchReport:
    """Reclaim lost claims, then publish what needs a message.

    1. A ``sending`` claim older than ``REMINDERS_LEASE`` belonged to a worker that
       died: it becomes pending again (or failed, when no attempt is left).
    2. Pending reminders entering the ETA horizon that were never published, and
       those whose message should have run ``REMINDERS_ENQUEUE_GRACE`` ago, are
       published (at most ``REMINDERS_DISPATCH_BATCH`` per run). Those already due
       go in ``remind_batch`` messages of ``REMINDERS_BATCH_SIZE`` (a backlog: one
       claim per batch, a few SMTP connections); a lone one, or one due later within
       the horizon, in a ``remind`` message (with ``eta`` for the later ones).

    Publishing twice is harmless: only one message can claim the reminder.
    """
    now = timezone.now()
    reclaimed, given_up = _reclaim_lost_claims(now)
    limit = settings.REMINDERS_DISPATCH_BATCH
    candidates = list(
        Reminder.objects.to_dispatch(
            now,
            horizon=timedelta(seconds=settings.REMINDERS_ETA_HORIZON),
            grace=timedelta(seconds=settings.REMINDERS_ENQUEUE_GRACE),
        )
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    due = [pk for pk, next_attempt_at in candidates if next_attempt_at <= now]
    later = [(pk, next_attempt_at) for pk, next_attempt_at in candidates if next_attempt_at > now]
    messages = [(chunk, None) for chunk in reminder_chunks(due)]
    messages += [([pk], next_attempt_at) for pk, next_attempt_at in later]
    published: list[uuid.UUID] = []
    sent = 0
    try:
        for ids, eta in messages:
            reminders_publish(ids, eta=eta)
            published += ids
            sent += 1
    except Exception:
        # Logged and left: the next run (a minute later) publishes the rest.
        logger.exception("dispatch_due: broker unreachable; the next run retries")
    mark_enqueued(published, now)
    return DispatchReport(
        reclaimed=reclaimed,
        given_up=given_up,
        enqueued=len(published),
        batches=sent,
        more=len(candidates) == limit and len(published) == limit,
    )


def _reclaim_lost_claims(now) -> tuple[int, int]:
    """Claims past the lease become pending again, or failed with no attempt left."""
    lease = settings.REMINDERS_LEASE
    stale = Reminder.objects.stale_claims(now, timedelta(seconds=lease))
    # Update the stale claims by primary key: scanning the status index in the UPDATE
    # locks index entries before rows, the reverse of a worker's claim and "sent"
    # UPDATEs (row first), and MariaDB then kills one of the two as a deadlock.
    stale = stale.filter(pk__in=list(stale.values_list("pk", flat=True)))
    lost = f"The worker sending it was lost (no result within the {lease} s lease)."
    given_up = stale.filter(attempts__gt=settings.REMINDERS_MAX_RETRIES).end_claim(
        ReminderStatus.FAILED, last_error=lost, updated=now
    )
    reclaimed = stale.end_claim(
        ReminderStatus.PENDING,
        enqueued_at=None,
        next_attempt_at=now,
        last_error=lost,
        updated=now,
    )
    if reclaimed or given_up:
        logger.warning("dispatch_due: %d lost claims retried, %d failed", reclaimed, given_up)
    return reclaimed, given_up
