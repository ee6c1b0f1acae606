"""Sending one reminder (the worker's ``remind``): claim, send, record the outcome.

Only a run that moves the reminder from pending-and-due to ``sending`` in one
conditional UPDATE sends anything, so any number of runs for one reminder send it
once. The outcome is written as soon as the server answered: ``sent``, pending again
with a retry time (a temporary failure), or ``failed``; and ``unknown`` when the body
was sent and no answer came (never sent again automatically).
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db import connections, router
from django.db.models import F
from django.utils import timezone

from .. import metrics
from ..emails import reminder_email
from ..mail.smtp import SendOutcome, smtp_send_each
from ..models import (
    AttemptOutcome,
    MailKind,
    Reminder,
    ReminderAttempt,
    ReminderStatus,
    SuppressionReason,
    SuppressionScope,
)
from ..retry import retries_left, retry_delay
from ..suppression import suppress, suppressed

logger = logging.getLogger(__name__)

LAST_ERROR_MAX_LENGTH = 1000


class DeliveryOutcome(StrEnum):
    """What one run did for a reminder (``ReminderStatus`` is what the row is)."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    # Nothing to claim: already sent or being sent, cancelled, rescheduled, not due.
    SKIPPED = "skipped"
    # No such reminder (deleted, or not a UUID).
    UNKNOWN = "unknown"
    # The body was sent and the server never answered: the reminder is ``unknown``.
    OUTCOME_UNKNOWN = "outcome_unknown"
    # The address is on the suppression list: nothing was sent, nothing will be.
    SUPPRESSED = "suppressed"


# The old name, kept for callers.
DeliveryStatus = DeliveryOutcome


@dataclass(frozen=True)
class Delivery:
    """What one run of ``remind`` did. ``retry_in`` is set for a temporary failure."""

    reminder_id: str
    status: DeliveryOutcome
    error: str = ""
    retry_in: float | None = None

    def as_dict(self) -> dict[str, str]:
        result = {"reminder": self.reminder_id, "status": self.status.value}
        if self.error:
            result["error"] = self.error
        return result


def parse_reminder_id(value: uuid.UUID | str) -> uuid.UUID | None:
    """A reminder id from a task message, or None (logged) when it is not a UUID. The
    services' doors call this once; everything below them takes ``UUID``."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        logger.warning("%r is not a reminder id; nothing to do", value)
        return None


def reminder_deliver(*, reminder_id: uuid.UUID | str) -> Delivery:
    """Claim the reminder, send its email, record the outcome.

    Safe to run any number of times for one reminder: only a run that moves it from
    pending-and-due to sending, in one conditional UPDATE, sends anything.
    """
    pk = parse_reminder_id(reminder_id)
    if pk is None:
        return Delivery(str(reminder_id), DeliveryOutcome.UNKNOWN)

    reminder = reminder_claim(reminder_id=pk)
    if reminder is None:
        status = Reminder.objects.filter(pk=pk).values_list("status", flat=True).first()
        if status is None:
            logger.warning("remind: reminder %s does not exist (deleted?); nothing to do", pk)
            return Delivery(str(pk), DeliveryOutcome.UNKNOWN)
        logger.info("remind: reminder %s not claimed (it is %s or not due yet)", pk, status)
        return Delivery(str(pk), DeliveryOutcome.SKIPPED)
    if end_suppressed([reminder], token=reminder.claim_token):
        return Delivery(str(pk), DeliveryOutcome.SUPPRESSED, error=reminder.last_error)

    [outcome] = smtp_send_each([reminder], reminder_email)
    metrics.reply_recorded(reminder.kind, outcome)
    if not outcome.accepted:
        delivery = attempt_failed(reminder, outcome)
        attempts_record([attempt_row(reminder.pk, delivery.status, delivery.error)])
        return delivery
    mark_sent(reminder.pk)
    attempts_record([attempt_row(reminder.pk, DeliveryOutcome.SENT)])
    metrics.email_recorded(reminder.kind, DeliveryOutcome.SENT)
    logger.info(
        "remind: reminder %s sent to %r (attempt %d)", pk, reminder.email, reminder.attempts
    )
    return Delivery(str(pk), DeliveryOutcome.SENT)


def reminder_claim(*, reminder_id: uuid.UUID) -> Reminder | None:
    """Move a pending, due reminder to ``sending``; None when there is nothing to claim."""
    now = timezone.now()
    claimed = (
        Reminder.objects.due(now)
        .filter(pk=reminder_id)
        .update(
            status=ReminderStatus.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            claim_token=uuid.uuid4(),
            updated=now,
        )
    )
    if not claimed:
        return None
    return Reminder.objects.get(pk=reminder_id)


_ATTEMPT_OUTCOMES = {
    DeliveryOutcome.SENT: AttemptOutcome.SENT,
    DeliveryOutcome.RETRY: AttemptOutcome.RETRY,
    DeliveryOutcome.FAILED: AttemptOutcome.FAILED,
    DeliveryOutcome.OUTCOME_UNKNOWN: AttemptOutcome.UNKNOWN,
}


def attempt_row(pk: uuid.UUID, status: DeliveryOutcome, error: str = "") -> ReminderAttempt:
    """The history row of one attempt, unsaved (a batch saves its rows at once)."""
    return ReminderAttempt(
        reminder_id=pk,
        at=timezone.now(),
        outcome=_ATTEMPT_OUTCOMES[status],
        smtp_reply=error[:LAST_ERROR_MAX_LENGTH],
    )


def attempts_record(rows: list[ReminderAttempt]) -> None:
    """Save attempt history in one INSERT. History only: the reminder's own row is the
    record, so a failure here is logged and never fails or repeats a send."""
    if not rows:
        return
    try:
        ReminderAttempt.objects.bulk_create(rows)
    except Exception:
        logger.exception("could not record %d attempt(s) in the history", len(rows))


def mark_sent(pk: uuid.UUID) -> None:
    """Record that the SMTP server accepted the reminder's email.

    This UPDATE ends the one window in which a crash sends twice (docs/reminders.md,
    "The duplicate window"): it is unconditional because the email went out even if a
    lease expired meanwhile. It runs once per email, so it is one prepared statement
    rather than a queryset: building ``filter(pk=...).update(...)`` cost about a sixth
    of a batch's CPU per email (measured with py-spy); the SQL is the same.
    """
    now = timezone.now()
    connection = connections[router.db_for_write(Reminder)]
    meta = Reminder._meta
    with connection.cursor() as cursor:
        cursor.execute(
            _mark_sent_sql(connection.alias),
            [
                ReminderStatus.SENT.value,
                meta.get_field("sent_at").get_db_prep_value(now, connection),
                meta.get_field("updated").get_db_prep_value(now, connection),
                meta.pk.get_db_prep_value(pk, connection),
            ],
        )


@functools.cache
def _mark_sent_sql(alias: str) -> str:
    """``UPDATE reminders_reminder SET status = 'sent', sent_at = now, claimed_at = NULL,
    claim_token = NULL, updated = now WHERE id = pk``, quoted for ``alias``'s database."""
    quote = connections[alias].ops.quote_name
    meta = Reminder._meta

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"UPDATE {quote(meta.db_table)} SET {column('status')} = %s, {column('sent_at')} = %s, "
        f"{column('claimed_at')} = NULL, {column('claim_token')} = NULL, "
        f"{column('updated')} = %s WHERE {column(meta.pk.name)} = %s"
    )


def end_suppressed(reminders: list[Reminder], *, token: uuid.UUID | None) -> set[uuid.UUID]:
    """End the claim of those of ``reminders`` whose address is on the suppression list
    (the digest-only entries for digests): ``suppressed`` with the entry's reason,
    their claim's attempt undone, never retried. Returns their ids; the caller sends
    the rest. One query per kind of list asked (all mail, digest), none for none."""
    digests = [r.email for r in reminders if r.kind == MailKind.DIGEST]
    others = [r.email for r in reminders if r.kind != MailKind.DIGEST]
    entries = {
        False: suppressed(others, digest=False) if others else {},
        True: suppressed(digests, digest=True) if digests else {},
    }
    done: set[uuid.UUID] = set()
    for reminder in reminders:
        entry = entries[reminder.kind == MailKind.DIGEST].get(reminder.email)
        if entry is None:
            continue
        reason = f"Suppressed: {entry.reason} ({entry.source})"[:LAST_ERROR_MAX_LENGTH]
        Reminder.objects.filter(
            pk=reminder.pk, status=ReminderStatus.SENDING, claim_token=token
        ).end_claim(ReminderStatus.SUPPRESSED, attempts=F("attempts") - 1, last_error=reason)
        reminder.last_error = reason
        metrics.email_recorded(reminder.kind, DeliveryOutcome.SUPPRESSED)
        logger.info(
            "remind: %s %s not sent to %r: %s", reminder.kind, reminder.pk, reminder.email, reason
        )
        done.add(reminder.pk)
    return done


def _hard_bounce(reminder: Reminder, error: str) -> None:
    """Put an address the server refused for good on the suppression list. The
    failure is already recorded: a database error here is logged, never raised (the
    next email to it meets the same refusal and tries again)."""
    try:
        suppress(
            reminder.email,
            scope=SuppressionScope.ALL,
            reason=SuppressionReason.HARD_BOUNCE,
            source=f"SMTP: {error}",
        )
    except Exception:
        logger.exception("could not add %r to the suppression list", reminder.email)


def attempt_failed(
    reminder: Reminder, outcome: SendOutcome, *, token: uuid.UUID | None = None
) -> Delivery:
    """Record a failed attempt: failed for good, pending again with a retry time, or
    ``unknown`` when the server may have the email (no reply after its body).

    Only the claim that sent it may write this (``token`` in a batch, the status
    otherwise): a claim taken back after its lease is not overwritten. The caller
    publishes the retry (``remind`` retries itself; a batch publishes its retries).
    """
    error = outcome.error[:LAST_ERROR_MAX_LENGTH]
    now = timezone.now()
    claim = Reminder.objects.filter(
        pk=reminder.pk, status=ReminderStatus.SENDING, claim_token=token or reminder.claim_token
    )
    if outcome.unknown:
        # Sending it again could deliver a second copy: a person decides
        # (docs/reminders.md, "Outcome unknown").
        claim.end_claim(ReminderStatus.UNKNOWN, last_error=error, updated=now)
        metrics.email_recorded(reminder.kind, "unknown")
        logger.warning(
            "remind: reminder %s outcome unknown after attempt %d, not sent again: %r",
            reminder.pk,
            reminder.attempts,
            error,
        )
        return Delivery(str(reminder.pk), DeliveryOutcome.OUTCOME_UNKNOWN, error=error)
    if outcome.permanent or not retries_left(reminder.attempts):
        claim.end_claim(ReminderStatus.FAILED, last_error=error, updated=now)
        metrics.email_recorded(reminder.kind, DeliveryOutcome.FAILED)
        logger.warning(
            "remind: reminder %s failed after %d attempt(s): %r",
            reminder.pk,
            reminder.attempts,
            error,
        )
        if outcome.bad_address:
            _hard_bounce(reminder, error)
        return Delivery(str(reminder.pk), DeliveryOutcome.FAILED, error=error)

    delay = retry_delay(reminder.attempts)
    claim.end_claim(
        ReminderStatus.PENDING,
        last_error=error,
        next_attempt_at=now + timedelta(seconds=delay),
        # The retry message is published right after this; if that fails,
        # dispatch_due sees a pending reminder whose message never ran.
        enqueued_at=now,
        updated=now,
    )
    metrics.email_recorded(reminder.kind, DeliveryOutcome.RETRY)
    logger.warning(
        "remind: reminder %s attempt %d failed (%r); retry in %.0f s",
        reminder.pk,
        reminder.attempts,
        error,
        delay,
    )
    return Delivery(str(reminder.pk), DeliveryOutcome.RETRY, error=error, retry_in=delay)
