"""Sending a backlog's batch (the worker's ``remind_batch``).

One conditional UPDATE claims the batch; the claimed reminders are dealt to
``REMINDERS_BATCH_CONNECTIONS`` lanes (``reminders.mail.lanes``), and each one's
outcome is recorded as soon as its server answered, before that lane's next email.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from .. import metrics
from ..emails import reminder_email
from ..mail.lanes import send_in_lanes
from ..mail.smtp import SendOutcome
from ..models import Reminder, ReminderAttempt, ReminderStatus
from .delivery import (
    DeliveryOutcome,
    attempt_failed,
    attempt_row,
    attempts_record,
    end_suppressed,
    mark_sent,
    parse_reminder_id,
)
from .publishing import reminders_enqueue

logger = logging.getLogger(__name__)

# MySQL/MariaDB's "Deadlock found when trying to get lock": the statement was rolled
# back whole, so running it again is safe.
MYSQL_DEADLOCK = 1213


@dataclass
class BatchReport:
    """What one run of ``remind_batch`` did, reminder by reminder."""

    given: int = 0
    claimed: int = 0
    sent: int = 0
    # SMTP connections the batch was sent over (its lanes).
    connections: int = 0
    # Claimed but handed back unsent when the batch ran past REMINDERS_BATCH_DEADLINE.
    released: int = 0
    failed: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    # Sent, and the server never answered: not sent again (docs/reminders.md).
    unknown: list[str] = field(default_factory=list)
    # Claimed, and their address is on the suppression list: not sent.
    suppressed: list[str] = field(default_factory=list)
    retry_in: float | None = None

    @property
    def skipped(self) -> int:
        """Given but not claimed: sent, being sent by another worker, not due, gone."""
        return self.given - self.claimed

    def as_dict(self) -> dict[str, Any]:
        return {
            "given": self.given,
            "claimed": self.claimed,
            "skipped": self.skipped,
            "sent": self.sent,
            "failed": self.failed,
            "retry": self.retry,
            "unknown": self.unknown,
            "suppressed": self.suppressed,
            "released": self.released,
            "connections": self.connections,
        }


def reminders_deliver_batch(*, reminder_ids: Sequence[uuid.UUID | str]) -> BatchReport:
    """Claim these reminders with one conditional UPDATE, send them over
    ``REMINDERS_BATCH_CONNECTIONS`` SMTP connections at once (the batch's lanes), and
    record each one's outcome as soon as the server gave it.

    Every guarantee of ``reminder_deliver`` holds for each reminder: one claimed
    by another worker (or sent, cancelled, not due) is skipped; the server's refusal
    of one recipient is that reminder's outcome alone (a 4xx: pending again, its
    attempt counted, retried on its own; a 5xx: failed); each is marked sent right
    after the server accepted it, and its connection sends nothing more until that
    UPDATE returned, so a worker killed mid-batch leaves at most one email per
    connection in flight unrecorded, and the others claimed but unsent come back
    after ``REMINDERS_LEASE``. A connection that fails fails the rest of its lane as
    it would have failed each of them alone (temporarily: retried with backoff).
    Past ``REMINDERS_BATCH_DEADLINE`` the reminders not yet sent are handed back
    and published again at once, so a slow server never holds a claim near its lease.
    """
    report = BatchReport(given=len(reminder_ids))
    # A repeated id is claimed (and sent) once.
    ids = list(dict.fromkeys(pk for pk in map(parse_reminder_id, reminder_ids) if pk))
    if not ids:
        return report
    token = uuid.uuid4()
    started = time.monotonic()
    claimed = reminders_claim_batch(reminder_ids=ids, token=token)
    report.claimed = len(claimed)
    if not claimed:
        logger.info("remind_batch: none of %d reminders to claim", len(ids))
        return report
    metrics.BATCH_SIZE.observe(len(claimed))
    stopped = end_suppressed(claimed, token=token)
    if stopped:
        report.suppressed = [str(pk) for pk in stopped]
        claimed = [reminder for reminder in claimed if reminder.pk not in stopped]
        if not claimed:
            return report

    lanes = _lanes(claimed)
    report.connections = len(lanes)
    retry_in: list[float] = []
    history: list[ReminderAttempt] = []
    try:
        unsent = send_in_lanes(
            lanes,
            reminder_email,
            _recorder(report, retry_in, token, history),
            deadline=time.monotonic() + settings.REMINDERS_BATCH_DEADLINE,
        )
    finally:
        # One INSERT for the batch's attempts, not one per email: mark_sent stays the
        # only write per email on the success path (docs/reminders.md, "Attempts").
        attempts_record(history)
    metrics.BATCH_DURATION.observe(time.monotonic() - started)
    if unsent:  # past the deadline
        report.released = _release([reminder.pk for reminder in unsent], token=token)
        logger.warning(
            "remind_batch: deadline of %d s reached; %d reminders handed back and queued again",
            settings.REMINDERS_BATCH_DEADLINE,
            report.released,
        )
        reminders_enqueue([reminder.pk for reminder in unsent])
    if report.retry:
        # One message (per batch size) for the temporary failures, when the last one's
        # retry is due. If the broker is down they stay pending with enqueued_at set,
        # and dispatch_due publishes them after the grace period.
        report.retry_in = max(retry_in)
        eta = timezone.now() + timedelta(seconds=report.retry_in)
        reminders_enqueue([uuid.UUID(pk) for pk in report.retry], eta=eta)
    logger.info("remind_batch: %s", report.as_dict())
    return report


def _lanes(claimed: list[Reminder]) -> list[list[Reminder]]:
    """The claimed reminders dealt round-robin to ``REMINDERS_BATCH_CONNECTIONS`` lanes
    (each lane keeps the batch's order). Inside a transaction there is one lane: the
    lanes' own database connections could not see the claim before it commits."""
    count = max(1, min(settings.REMINDERS_BATCH_CONNECTIONS, len(claimed)))
    if transaction.get_connection().in_atomic_block:
        count = 1
    return [claimed[start::count] for start in range(count)]


def _recorder(
    report: BatchReport, retry_in: list[float], token: uuid.UUID, history: list[ReminderAttempt]
) -> Callable[[SendOutcome[Reminder], list[Reminder]], None]:
    """What each lane calls after its server answered: the outcome into the database
    first, then into the report (under a lock: the lanes run in threads)."""
    lock = threading.Lock()

    def record(outcome: SendOutcome[Reminder], stranded: list[Reminder]) -> None:
        reminder = outcome.key
        metrics.reply_recorded(reminder.kind, outcome)
        if outcome.accepted:
            mark_sent(reminder.pk)
            metrics.email_recorded(reminder.kind, DeliveryOutcome.SENT)
            # At INFO one line per batch: a line per email costs a write each.
            logger.debug("remind_batch: reminder %s sent to %r", reminder.pk, reminder.email)
            with lock:
                report.sent += 1
                history.append(attempt_row(reminder.pk, DeliveryOutcome.SENT))
            return
        # A lost connection: each reminder left in the lane would have met the same
        # failure alone, and counts it as its attempt. When the lost reply was to an
        # email's body (outcome unknown), that email alone is kept from a resend: the
        # rest of the lane never reached the server and is retried as usual.
        rest = outcome
        if outcome.unknown:
            error = "Not sent: the connection was lost waiting for an earlier email's reply"
            rest = SendOutcome(reminder, False, error=error, connection_lost=True)
        for failed in [reminder, *stranded]:
            delivery = attempt_failed(failed, outcome if failed is reminder else rest, token=token)
            with lock:
                history.append(attempt_row(failed.pk, delivery.status, delivery.error))
                if delivery.status == DeliveryOutcome.RETRY:
                    report.retry.append(delivery.reminder_id)
                    retry_in.append(delivery.retry_in)
                elif delivery.status == DeliveryOutcome.OUTCOME_UNKNOWN:
                    report.unknown.append(delivery.reminder_id)
                else:
                    report.failed.append(delivery.reminder_id)

    return record


def reminders_claim_batch(*, reminder_ids: Sequence[uuid.UUID], token: uuid.UUID) -> list[Reminder]:
    """Move those of ``reminder_ids`` that are pending and due to ``sending``, in one
    UPDATE stamped with ``token``, and read back exactly the rows it took, in the
    order given. Another worker's claim of the same rows waits for this one's row
    locks and then finds them no longer pending: each reminder is claimed once."""
    now = timezone.now()
    claim = Reminder.objects.due(now).filter(pk__in=reminder_ids)
    updated = _retry_deadlock(
        lambda: claim.update(
            status=ReminderStatus.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            claim_token=token,
            updated=now,
        )
    )
    if not updated:
        return []
    order = {pk: index for index, pk in enumerate(reminder_ids)}
    rows = Reminder.objects.filter(pk__in=reminder_ids, claim_token=token)
    return sorted(rows, key=lambda reminder: order[reminder.pk])


def _retry_deadlock(statement: Callable[[], int], attempts: int = 3) -> int:
    for attempt in range(1, attempts + 1):
        try:
            return statement()
        except OperationalError as exc:
            if attempt == attempts or not exc.args or exc.args[0] != MYSQL_DEADLOCK:
                raise
            logger.warning("remind_batch: claim deadlocked (attempt %d); trying again", attempt)
    raise AssertionError("unreachable")


def _release(reminder_ids: Sequence[uuid.UUID], *, token: uuid.UUID) -> int:
    """Hand claimed, unsent reminders back: pending, due, the claim's attempt undone."""
    return Reminder.objects.filter(pk__in=reminder_ids, claim_token=token).end_claim(
        ReminderStatus.PENDING, attempts=F("attempts") - 1
    )
