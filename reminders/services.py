"""Writes of the reminders app: every transition of a reminder's state lives here.

Creating or rescheduling a reminder saves it; the post_save receiver
(``reminders/signals.py``) then calls :func:`reminder_enqueue` after the transaction
commits. A worker running ``reminders.tasks.remind`` calls :func:`reminder_deliver`,
which claims the reminder with one conditional UPDATE before it sends anything.
Beat runs :func:`reminders_dispatch_due` every minute for what the first path did
not publish (far-future reminders, a broker that was down, a lost worker).
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import DEFAULT_SUBJECT, DigestRun, Reminder, ReminderStatus
from .smtp import BatchEmail, Outcome, smtp_failure, smtp_send_each

if TYPE_CHECKING:
    from blog.models import User

logger = logging.getLogger(__name__)

LAST_ERROR_MAX_LENGTH = 1000

_Id = TypeVar("_Id")


# CREATING AND EDITING (web requests, the admin, the API)
# ------------------------------------------------------------------------------
@transaction.atomic
def reminder_create(
    *,
    email: str,
    text: str,
    date: datetime,
    subject: str = DEFAULT_SUBJECT,
    user: User | None = None,
) -> Reminder:
    """Create a pending reminder; its email is scheduled once the transaction commits."""
    reminder = Reminder(email=email, text=text, date=date, subject=subject, user=user)
    reminder.full_clean()
    reminder.save()
    return reminder


def welcome_reminder_create(user: User) -> Reminder:
    """The welcome email of a new user, due ``REMINDERS_WELCOME_DELAY`` seconds from now.

    Registration calls this inside the transaction that creates the user, so a failed
    registration leaves no reminder and no email.
    """
    text = render_to_string("reminders/welcome.txt", {"user": user}).strip()
    return reminder_create(
        email=user.email,
        text=text,
        date=timezone.now() + timedelta(seconds=settings.REMINDERS_WELCOME_DELAY),
        user=user,
    )


RESCHEDULABLE = (ReminderStatus.PENDING, ReminderStatus.FAILED)


@transaction.atomic
def reminder_update(*, reminder: Reminder, **changes: Any) -> Reminder:
    """Change the date, email, subject or text of a pending or failed reminder.

    It becomes pending again with a fresh attempt count, and is scheduled for its
    (new) date once the transaction commits; a message already queued for the old
    date finds nothing to claim.
    """
    unknown = set(changes) - set(Reminder.SCHEDULE_FIELDS)
    if unknown:
        raise TypeError(f"reminder_update() cannot change {', '.join(sorted(unknown))}")
    locked = _lock(reminder)
    _require_status(locked, RESCHEDULABLE, "edited")
    for name, value in changes.items():
        setattr(locked, name, value)
    return _reschedule(reminder, locked)


@transaction.atomic
def reminder_send_now(*, reminder: Reminder) -> Reminder:
    """Send a pending, failed or cancelled reminder now instead of at its date."""
    locked = _lock(reminder)
    _require_status(locked, (*RESCHEDULABLE, ReminderStatus.CANCELLED), "sent now (use send again)")
    locked.date = timezone.now()
    return _reschedule(reminder, locked)


@transaction.atomic
def reminder_send_again(*, reminder: Reminder) -> Reminder:
    """Send a sent or failed reminder once more, now, with a fresh attempt count."""
    locked = _lock(reminder)
    _require_status(locked, (ReminderStatus.SENT, ReminderStatus.FAILED), "sent again")
    locked.date = timezone.now()
    return _reschedule(reminder, locked)


@transaction.atomic
def reminder_cancel(*, reminder: Reminder) -> Reminder:
    """Cancel a pending or failed reminder: no email goes out for it.

    A message already queued for it finds nothing to claim. A reminder being sent
    right now cannot be cancelled (the SMTP server may already have it).
    """
    locked = _lock(reminder)
    _require_status(locked, RESCHEDULABLE, "cancelled")
    now = timezone.now()
    Reminder.objects.filter(pk=locked.pk).update(
        status=ReminderStatus.CANCELLED, claimed_at=None, updated=now
    )
    reminder.refresh_from_db()
    return reminder


@dataclass(frozen=True)
class BulkChange:
    """What a staff action on many reminders did: those changed, those refused and why."""

    changed: list[Reminder]
    refused: list[tuple[Reminder, str]]


@transaction.atomic
def reminders_send_now(*, reminders: Iterable[Reminder]) -> BulkChange:
    """:func:`reminder_send_now` for many reminders at once (the admin's action).

    One UPDATE reschedules them all, and after the commit they are published in
    ``remind_batch`` messages of ``REMINDERS_BATCH_SIZE`` (a lone one in ``remind``):
    a thousand reminders cost ten messages and forty SMTP connections, not a thousand.
    """
    return _send_many(
        reminders, (*RESCHEDULABLE, ReminderStatus.CANCELLED), "sent now (use send again)"
    )


@transaction.atomic
def reminders_send_again(*, reminders: Iterable[Reminder]) -> BulkChange:
    """:func:`reminder_send_again` for many reminders at once, published in batches."""
    return _send_many(reminders, (ReminderStatus.SENT, ReminderStatus.FAILED), "sent again")


def _send_many(reminders: Iterable[Reminder], allowed: tuple[str, ...], action: str) -> BulkChange:
    pks = [reminder.pk for reminder in reminders]
    # Row locks in primary-key order, as every claim takes them: no deadlock with a
    # worker, and none of these can be in the middle of a send when it is changed.
    locked = list(Reminder.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    changed, refused = [], []
    for reminder in locked:
        try:
            _require_status(reminder, allowed, action)
        except ValidationError as error:
            refused.append((reminder, " ".join(error.messages)))
        else:
            changed.append(reminder)
    if changed:
        now = timezone.now()
        # No save(): one UPDATE, and no post_save publishing each one on its own.
        Reminder.objects.filter(pk__in=[reminder.pk for reminder in changed]).update(
            date=now,
            next_attempt_at=now,
            status=ReminderStatus.PENDING,
            attempts=0,
            last_error="",
            claimed_at=None,
            claim_token=None,
            enqueued_at=None,
            updated=now,
        )
        ids = [reminder.pk for reminder in changed]
        transaction.on_commit(partial(reminders_enqueue_due, reminder_ids=ids), robust=True)
        changed = list(Reminder.objects.filter(pk__in=ids).order_by("pk"))
    return BulkChange(changed=changed, refused=refused)


def _lock(reminder: Reminder) -> Reminder:
    # The row lock orders this write after a worker's claim (or the claim after it),
    # so staff can never turn a reminder being sent back into a pending one.
    return Reminder.objects.select_for_update().get(pk=reminder.pk)


def _require_status(reminder: Reminder, allowed: tuple[str, ...], action: str) -> None:
    if reminder.status not in allowed:
        raise ValidationError(
            f"A {reminder.get_status_display()} reminder cannot be {action}.", code="status"
        )


def _reschedule(original: Reminder, locked: Reminder) -> Reminder:
    locked.status = ReminderStatus.PENDING
    locked.attempts = 0
    locked.last_error = ""
    locked.claimed_at = None
    locked.enqueued_at = None
    locked.full_clean()
    # schedule_changed is forced: a failed reminder edited back to its old values is
    # still pending again and must be scheduled.
    locked._saved_schedule = None
    locked.save()
    original.__dict__.update(
        {f.attname: getattr(locked, f.attname) for f in Reminder._meta.concrete_fields}
    )
    original._saved_schedule = locked._saved_schedule
    return original


# PUBLISHING (after commit, and from dispatch_due)
# ------------------------------------------------------------------------------
def reminder_enqueue(*, reminder_id: uuid.UUID | str, next_attempt_at: datetime) -> bool:
    """Publish ``remind`` for a reminder due within ``REMINDERS_ETA_HORIZON``.

    Runs after the commit of the transaction that saved the reminder. A later
    reminder is left to ``dispatch_due``. If the broker cannot be reached the
    failure is logged and nothing is raised: the reminder stays pending and
    ``dispatch_due`` publishes it once the broker is back. Returns whether it was
    published.
    """
    now = timezone.now()
    if next_attempt_at > now + timedelta(seconds=settings.REMINDERS_ETA_HORIZON):
        return False
    try:
        remind_publish(reminder_id, eta=next_attempt_at if next_attempt_at > now else None)
    except Exception:
        # Whatever broke the publish (connection refused, DNS, timeout, auth), the
        # reminder is committed and dispatch_due will publish it: the request that
        # saved it must not fail.
        logger.warning(
            "Reminder %s saved but not queued (broker unreachable); "
            "dispatch_due will queue it when the broker is back.",
            reminder_id,
            exc_info=True,
        )
        return False
    Reminder.objects.filter(pk=reminder_id).update(enqueued_at=now)
    return True


def reminders_enqueue_due(*, reminder_ids: Sequence[uuid.UUID | str]) -> int:
    """Publish reminders that are due now, in batches; after commit of a bulk "send
    now". Like :func:`reminder_enqueue` it never raises: what the broker did not
    take stays pending for ``dispatch_due``. Returns how many were published."""
    now = timezone.now()
    published: list[uuid.UUID | str] = []
    try:
        for chunk in reminder_chunks(reminder_ids):
            reminders_publish(chunk, eta=None)
            published += chunk
    except Exception:
        logger.warning(
            "%d reminders not queued (broker unreachable); dispatch_due will queue them.",
            len(reminder_ids) - len(published),
            exc_info=True,
        )
    _mark_enqueued(published, now)
    return len(published)


def reminder_chunks(reminder_ids: Sequence[_Id]) -> Iterator[list[_Id]]:
    """``reminder_ids`` in batches of at most ``REMINDERS_BATCH_SIZE``."""
    size = max(1, settings.REMINDERS_BATCH_SIZE)
    for start in range(0, len(reminder_ids), size):
        yield list(reminder_ids[start : start + size])


def reminders_publish(reminder_ids: Sequence[uuid.UUID | str], *, eta: datetime | None) -> None:
    """One message for these reminders: ``remind`` for one, ``remind_batch`` for more
    (a caller hands at most ``REMINDERS_BATCH_SIZE``: see :func:`reminder_chunks`)."""
    from .tasks import remind_batch

    if len(reminder_ids) == 1:
        remind_publish(reminder_ids[0], eta=eta)
        return
    remind_batch.apply_async(
        args=([str(pk) for pk in reminder_ids],), eta=eta, **_fail_fast_publishing()
    )


def remind_publish(reminder_id: uuid.UUID | str, *, eta: datetime | None) -> None:
    """Publish one ``remind`` message, failing fast when the broker is down."""
    from .tasks import remind

    remind.apply_async(args=(str(reminder_id),), eta=eta, **_fail_fast_publishing())


def _fail_fast_publishing() -> dict[str, Any]:
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


def _mark_enqueued(reminder_ids: Sequence[uuid.UUID | str], now: datetime) -> None:
    # In slices: one statement per thousand ids keeps the IN list of a big backlog small.
    for start in range(0, len(reminder_ids), 1000):
        Reminder.objects.filter(pk__in=reminder_ids[start : start + 1000]).update(enqueued_at=now)


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
    """Beat's sweep, every minute: reclaim lost claims, publish what needs a message.

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
    lease = settings.REMINDERS_LEASE
    stale = Reminder.objects.stale_claims(now, timedelta(seconds=lease))
    # Update the stale claims by primary key: scanning the status index in the UPDATE
    # locks index entries before rows, the reverse of a worker's claim and "sent"
    # UPDATEs (row first), and MariaDB then kills one of the two as a deadlock.
    stale = stale.filter(pk__in=list(stale.values_list("pk", flat=True)))
    lost = f"The worker sending it was lost (no result within the {lease} s lease)."
    given_up = stale.filter(attempts__gt=settings.REMINDERS_MAX_RETRIES).update(
        status=ReminderStatus.FAILED,
        claimed_at=None,
        claim_token=None,
        last_error=lost,
        updated=now,
    )
    reclaimed = stale.update(
        status=ReminderStatus.PENDING,
        claimed_at=None,
        claim_token=None,
        enqueued_at=None,
        next_attempt_at=now,
        last_error=lost,
        updated=now,
    )
    if reclaimed or given_up:
        logger.warning("dispatch_due: %d lost claims retried, %d failed", reclaimed, given_up)

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
    published: list[uuid.UUID] = []
    messages = 0
    try:
        for chunk in reminder_chunks(due):
            reminders_publish(chunk, eta=None)
            published += chunk
            messages += 1
        for pk, next_attempt_at in later:
            remind_publish(pk, eta=next_attempt_at)
            published.append(pk)
            messages += 1
    except Exception:
        logger.exception("dispatch_due: broker unreachable; the next run retries")
    _mark_enqueued(published, now)
    return DispatchReport(
        reclaimed=reclaimed,
        given_up=given_up,
        enqueued=len(published),
        batches=messages,
        more=len(candidates) == limit and len(published) == limit,
    )


# SENDING (the worker)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    """What one run of ``remind`` did. ``retry_in`` is set for a temporary failure."""

    reminder_id: str
    status: str
    error: str = ""
    retry_in: float | None = None

    def as_result(self) -> dict[str, str]:
        result = {"reminder": self.reminder_id, "status": self.status}
        if self.error:
            result["error"] = self.error
        return result


class DeliveryStatus:
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    # Nothing to claim: already sent or being sent, cancelled, rescheduled, not due.
    SKIPPED = "skipped"
    UNKNOWN = "unknown"


def reminder_deliver(*, reminder_id: str) -> Delivery:
    """Claim the reminder, send its email, record the outcome.

    Safe to run any number of times for one reminder: only a run that moves it from
    pending-and-due to sending, in one conditional UPDATE, sends anything.
    """
    try:
        pk = uuid.UUID(str(reminder_id))
    except ValueError:
        logger.warning("remind: %r is not a reminder id; nothing to do", reminder_id)
        return Delivery(str(reminder_id), DeliveryStatus.UNKNOWN)

    reminder = reminder_claim(reminder_id=pk)
    if reminder is None:
        status = Reminder.objects.filter(pk=pk).values_list("status", flat=True).first()
        if status is None:
            logger.warning("remind: reminder %s does not exist (deleted?); nothing to do", pk)
            return Delivery(str(pk), DeliveryStatus.UNKNOWN)
        logger.info("remind: reminder %s not claimed (it is %s or not due yet)", pk, status)
        return Delivery(str(pk), DeliveryStatus.SKIPPED)

    [outcome] = smtp_send_each([reminder], reminder_email)
    if not outcome.accepted:
        return _attempt_failed(reminder, outcome)
    _mark_sent(reminder)
    logger.info(
        "remind: reminder %s sent to %s (attempt %d)", pk, reminder.email, reminder.attempts
    )
    return Delivery(str(pk), DeliveryStatus.SENT)


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


def _mark_sent(reminder: Reminder) -> None:
    """Record that the SMTP server accepted the reminder's email.

    This UPDATE is the end of the one window in which a crash causes a duplicate (see
    the README): it is unconditional because the email went out even if a lease
    expired meanwhile. It runs once per email, so it is one prepared statement rather
    than a queryset: building ``filter(pk=...).update(...)`` cost about a sixth of a
    batch's CPU per email (measured with py-spy); the SQL is the same.
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
                meta.pk.get_db_prep_value(reminder.pk, connection),
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


# SENDING A BATCH (the worker, for a backlog)
# ------------------------------------------------------------------------------
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
            "released": self.released,
            "connections": self.connections,
        }


@dataclass
class _Lane:
    """One SMTP connection's share of a batch, sent in order, and what became of it."""

    reminders: list[Reminder]
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    retry_in: list[float] = field(default_factory=list)
    # Claimed, never handed to the server: past the deadline, or the batch stopped.
    unsent: list[uuid.UUID] = field(default_factory=list)


def reminders_deliver_batch(*, reminder_ids: Sequence[str]) -> BatchReport:
    """Claim these reminders with one conditional UPDATE, send them over
    ``REMINDERS_BATCH_CONNECTIONS`` SMTP connections at once (the batch's lanes), and
    record each one's outcome as soon as the server gave it.

    Every guarantee of :func:`reminder_deliver` holds for each reminder: one claimed
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
    ids = _valid_ids(reminder_ids)
    if not ids:
        return report
    token = uuid.uuid4()
    claimed = reminders_claim_batch(reminder_ids=ids, token=token)
    report.claimed = len(claimed)
    if not claimed:
        logger.info("remind_batch: none of %d reminders to claim", len(ids))
        return report

    deadline = time.monotonic() + settings.REMINDERS_BATCH_DEADLINE
    lanes = _lanes(claimed)
    report.connections = len(lanes)
    if len(lanes) == 1:
        _send_lane(lanes[0], token=token, deadline=deadline)
    else:
        _send_lanes(lanes, token=token, deadline=deadline)

    unsent = [pk for lane in lanes for pk in lane.unsent]
    for lane in lanes:
        report.sent += lane.sent
        report.failed += lane.failed
        report.retry += lane.retry
    if unsent:  # past the deadline
        report.released = _release(unsent, token=token)
        logger.warning(
            "remind_batch: deadline of %d s reached; %d reminders handed back and queued again",
            settings.REMINDERS_BATCH_DEADLINE,
            report.released,
        )
        reminders_enqueue_due(reminder_ids=unsent)
    if report.retry:
        report.retry_in = max(delay for lane in lanes for delay in lane.retry_in)
        _publish_retries(report.retry, delay=report.retry_in)
    logger.info("remind_batch: %s", report.as_dict())
    return report


def _lanes(claimed: list[Reminder]) -> list[_Lane]:
    """The claimed reminders dealt round-robin to ``REMINDERS_BATCH_CONNECTIONS`` lanes
    (each lane keeps the batch's order). Inside a transaction there is one lane: the
    lanes' own database connections could not see the claim before it commits."""
    count = max(1, min(settings.REMINDERS_BATCH_CONNECTIONS, len(claimed)))
    if transaction.get_connection().in_atomic_block:
        count = 1
    return [_Lane(claimed[start::count]) for start in range(count)]


def _send_lanes(lanes: list[_Lane], *, token: uuid.UUID, deadline: float) -> None:
    """Each lane in a thread of its own, with its own SMTP and database connections.

    The threads do what the worker's own thread would (render, send, one UPDATE per
    outcome) and wait on the network most of the time, so the GIL is no bottleneck.
    If this thread is interrupted (a soft time limit), the lanes stop after their
    current email and are waited for; their reminders not sent stay claimed until the
    lease, as a single lane's would.
    """
    stop = threading.Event()
    with ThreadPoolExecutor(len(lanes), thread_name_prefix="remind_batch") as pool:
        futures = [
            pool.submit(_send_lane_in_thread, lane, token=token, deadline=deadline, stop=stop)
            for lane in lanes
        ]
        try:
            for future in futures:
                future.result()  # a lane's database error is the batch's, as with one lane
        finally:
            stop.set()


def _send_lane_in_thread(lane: _Lane, **kwargs: Any) -> None:
    try:
        _send_lane(lane, **kwargs)
    finally:
        connections.close_all()  # this thread's own; the pool's threads end with the batch


def _send_lane(
    lane: _Lane, *, token: uuid.UUID, deadline: float, stop: threading.Event | None = None
) -> None:
    """Send one lane's reminders in order over one SMTP connection, recording each
    outcome before the next email goes out (see :func:`reminders_deliver_batch`)."""
    unsent = {reminder.pk: reminder for reminder in lane.reminders}

    def in_time() -> Iterator[Reminder]:
        for reminder in lane.reminders:
            if time.monotonic() > deadline or (stop is not None and stop.is_set()):
                return
            yield reminder

    for outcome in smtp_send_each(in_time(), reminder_email):
        reminder = outcome.key
        del unsent[reminder.pk]
        if outcome.accepted:
            _mark_sent(reminder)
            lane.sent += 1
            # At INFO one line per batch: a line per email costs a write each.
            logger.debug("remind_batch: reminder %s sent to %s", reminder.pk, reminder.email)
            continue
        failures = [reminder]
        if outcome.connection_lost:
            # The server is gone: each reminder left in this lane would have met the
            # same failure alone, and counts it as its attempt.
            failures += list(unsent.values())
            unsent.clear()
        for failed in failures:
            delivery = _attempt_failed(failed, outcome, token=token)
            if delivery.status == DeliveryStatus.RETRY:
                lane.retry.append(delivery.reminder_id)
                lane.retry_in.append(delivery.retry_in)
            else:
                lane.failed.append(delivery.reminder_id)
    lane.unsent = list(unsent)


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


# MySQL/MariaDB's "Deadlock found when trying to get lock": the statement was rolled
# back whole, so running it again is safe.
MYSQL_DEADLOCK = 1213


def _retry_deadlock(statement: Callable[[], int], attempts: int = 3) -> int:
    for attempt in range(1, attempts + 1):
        try:
            return statement()
        except OperationalError as exc:
            if attempt == attempts or not exc.args or exc.args[0] != MYSQL_DEADLOCK:
                raise
            logger.warning("remind_batch: claim deadlocked (attempt %d); trying again", attempt)
    raise AssertionError("unreachable")


def _valid_ids(reminder_ids: Sequence[str]) -> list[uuid.UUID]:
    ids = []
    for value in reminder_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            logger.warning("remind_batch: %r is not a reminder id; skipped", value)
    return list(dict.fromkeys(ids))  # a repeated id is claimed (and sent) once


def _release(reminder_ids: Sequence[uuid.UUID], *, token: uuid.UUID) -> int:
    """Hand claimed, unsent reminders back: pending, due, the claim's attempt undone."""
    now = timezone.now()
    return Reminder.objects.filter(pk__in=reminder_ids, claim_token=token).update(
        status=ReminderStatus.PENDING,
        attempts=F("attempts") - 1,
        claimed_at=None,
        claim_token=None,
        updated=now,
    )


def _publish_retries(reminder_ids: list[str], *, delay: float) -> None:
    """One message for the batch's temporary failures, when the last one's retry is due
    (a lone one goes in a ``remind``). If the broker is down they stay pending, with
    ``enqueued_at`` set, and ``dispatch_due`` publishes them after the grace period."""
    eta = timezone.now() + timedelta(seconds=delay)
    try:
        for chunk in reminder_chunks(reminder_ids):
            reminders_publish(chunk, eta=eta)
    except Exception:
        logger.warning(
            "remind_batch: retries of %d reminders not queued (broker unreachable); "
            "dispatch_due will queue them.",
            len(reminder_ids),
            exc_info=True,
        )


def reminder_email(reminder: Reminder) -> BatchEmail:
    """The reminder's email: plain text with an HTML alternative."""
    context = {"reminder": reminder}
    message = BatchEmail(
        subject=reminder.subject,
        body=render_to_string("reminders/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.email],
        headers={"Message-ID": reminder.message_id},
    )
    message.attach_alternative(
        render_to_string("reminders/email/reminder.html", context), "text/html"
    )
    return message


def reminder_retry_delay(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): doubling from REMINDERS_RETRY_DELAY,
    capped at REMINDERS_RETRY_MAX_DELAY (below the brokers' timeouts for a held
    message), then up to 20% earlier at random so that retries of a burst spread out."""
    base = settings.REMINDERS_RETRY_DELAY * 2 ** min(attempt - 1, 30)
    capped = min(base, settings.REMINDERS_RETRY_MAX_DELAY)
    return random.uniform(capped * 0.8, capped)


def _attempt_failed(
    reminder: Reminder, outcome: Outcome, *, token: uuid.UUID | None = None
) -> Delivery:
    """Record a failed attempt: failed for good, or pending again with a retry time.

    Only the claim that sent it may write this (``token`` in a batch, the status
    otherwise): a claim taken back after its lease is not overwritten. The caller
    publishes the retry (``remind`` retries itself; a batch publishes its retries).
    """
    error = outcome.error[:LAST_ERROR_MAX_LENGTH]
    now = timezone.now()
    claim = Reminder.objects.filter(
        pk=reminder.pk, status=ReminderStatus.SENDING, claim_token=token or reminder.claim_token
    )
    if outcome.permanent or reminder.attempts > settings.REMINDERS_MAX_RETRIES:
        claim.update(
            status=ReminderStatus.FAILED,
            last_error=error,
            claimed_at=None,
            claim_token=None,
            updated=now,
        )
        logger.warning(
            "remind: reminder %s failed after %d attempt(s): %s",
            reminder.pk,
            reminder.attempts,
            error,
        )
        return Delivery(str(reminder.pk), DeliveryStatus.FAILED, error=error)

    delay = reminder_retry_delay(reminder.attempts)
    claim.update(
        status=ReminderStatus.PENDING,
        last_error=error,
        claimed_at=None,
        claim_token=None,
        next_attempt_at=now + timedelta(seconds=delay),
        # The retry message is published right after this; if that fails,
        # dispatch_due sees a pending reminder whose message never ran.
        enqueued_at=now,
        updated=now,
    )
    logger.warning(
        "remind: reminder %s attempt %d failed (%s); retry in %.0f s",
        reminder.pk,
        reminder.attempts,
        error,
        delay,
    )
    return Delivery(str(reminder.pk), DeliveryStatus.RETRY, error=error, retry_in=delay)


# THE WEEKLY DIGEST
# ------------------------------------------------------------------------------
DIGEST_MAX_POSTS = 50


class DigestInterrupted(Exception):
    """The SMTP server went away mid-run; the run resumes where it stopped."""


@dataclass(frozen=True)
class DigestReport:
    week: str
    # "sent", "empty" (no posts), "already_sent", "unknown" (no run for that week), or
    # "continued": past REMINDERS_DIGEST_DEADLINE, the rest is for the next task.
    status: str
    posts: int
    sent: int

    def as_dict(self) -> dict[str, str | int]:
        return {"week": self.week, "status": self.status, "posts": self.posts, "sent": self.sent}


def digest_week(now: datetime) -> date:
    """The Monday (in TIME_ZONE) of the week ``now`` falls in: one digest per week."""
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday())


def digest_send(*, now: datetime | None = None, week: date | None = None) -> DigestReport:
    """Email the posts published since the last digest to every user who opted in.

    One ``DigestRun`` per week: a second run in the same week finds it finished and
    sends nothing; a run interrupted by the SMTP server resumes after the last
    recipient sent. A run that has sent for ``REMINDERS_DIGEST_DEADLINE`` seconds
    stops after its current chunk and reports ``continued``: the task queues its own
    continuation with ``week``, which resumes that week's run wherever the calendar
    has got to, so no digest outlives the task time limit whatever the number of users.
    Recipients are read ``REMINDERS_DIGEST_CHUNK`` at a time in primary-key order and
    each chunk goes over one SMTP connection, so memory stays flat whatever the number
    of users. Before a chunk is sent its end is recorded with a compare-and-set UPDATE:
    two runs at once never send the same chunk, and a worker killed mid-chunk leaves
    the rest of that chunk unsent (never sent twice).
    """
    from blog.models import Post

    now = now or timezone.now()
    if week is None:
        run = _digest_run(now)
    else:
        run = DigestRun.objects.filter(week=week).first()
        if run is None:
            logger.warning("digest: no digest of the week of %s to continue", week)
            return DigestReport(week.isoformat(), "unknown", 0, 0)
    week = run.week.isoformat()
    if run.finished_at is not None:
        logger.info("digest: the week of %s was already sent; nothing to do", week)
        return DigestReport(week, "already_sent", run.posts, 0)

    posts = list(
        Post.objects.published()
        .filter(publish_date__gte=run.period_start, publish_date__lt=run.period_end)
        .select_related("author")
        .order_by("publish_date", "pk")[:DIGEST_MAX_POSTS]
    )
    if not posts:
        DigestRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
        logger.info("digest: no posts published in the week of %s; nothing sent", week)
        return DigestReport(week, "empty", 0, 0)
    DigestRun.objects.filter(pk=run.pk).update(posts=len(posts))

    sent = 0
    deadline = time.monotonic() + settings.REMINDERS_DIGEST_DEADLINE
    while True:
        cursor, chunk = _digest_claim_chunk(run)
        if not chunk:
            break
        sent += _digest_send_chunk(run, posts, cursor, chunk)
        # Checked after a chunk, so every task makes progress; a short chunk was the last.
        if time.monotonic() > deadline and len(chunk) == settings.REMINDERS_DIGEST_CHUNK:
            logger.info("digest: week of %s: %d sent by this task; continuing", week, sent)
            return DigestReport(week, "continued", len(posts), sent)
    DigestRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    logger.info("digest: week of %s sent to %d users (%d posts)", week, sent, len(posts))
    return DigestReport(week, "sent", len(posts), sent)


def _digest_run(now: datetime) -> DigestRun:
    week = digest_week(now)
    run = DigestRun.objects.filter(week=week).first()
    if run is not None:
        return run
    # Posts since the previous digest ended, at most a week back: each post is in
    # one digest however beat's schedule is changed.
    previous = DigestRun.objects.filter(week__lt=week).order_by("-week").first()
    start = now - timedelta(days=7)
    if previous is not None:
        start = max(start, previous.period_end)
    try:
        with transaction.atomic():
            return DigestRun.objects.create(week=week, period_start=start, period_end=now)
    except IntegrityError:  # another run created it a moment ago
        return DigestRun.objects.get(week=week)


def _digest_recipients():
    from blog.models import User

    return User.objects.filter(receives_digest=True, is_active=True).order_by("pk")


def _digest_claim_chunk(run: DigestRun) -> tuple[int | None, list[User]]:
    """The next chunk of recipients, taken with a compare-and-set of the cursor;
    returns the cursor before it too (an empty chunk when everyone has been done)."""
    while True:
        cursor = DigestRun.objects.values_list("last_user_id", flat=True).get(pk=run.pk)
        recipients = _digest_recipients()
        if cursor is not None:
            recipients = recipients.filter(pk__gt=cursor)
        chunk = list(recipients.only("pk", "username", "email")[: settings.REMINDERS_DIGEST_CHUNK])
        if not chunk:
            return cursor, []
        claimed = DigestRun.objects.filter(pk=run.pk, last_user_id=cursor).update(
            last_user_id=chunk[-1].pk
        )
        if claimed:
            return cursor, chunk
        # Another run took this chunk: read the cursor again.


def _digest_send_chunk(run: DigestRun, posts: list, cursor: int | None, chunk: list) -> int:
    """Send a chunk over one SMTP connection (the batched sending of the reminders)."""
    sent = 0
    done = cursor  # the last recipient dealt with (sent, or refused for good)
    try:
        for outcome in smtp_send_each(chunk, lambda user: digest_email(run, posts, user)):
            if not outcome.accepted:
                if outcome.connection_lost or not outcome.permanent:
                    # The server went away, or a 4xx: the server, not the address.
                    raise DigestInterrupted(outcome.error)
                # This address is refused for good: skip it, go on.
                logger.warning("digest: %s", outcome.error)
            else:
                sent += 1
            done = outcome.key.pk
    except Exception as exc:
        # Give the rest of the chunk back, so the retry starts right after the last
        # user dealt with.
        DigestRun.objects.filter(pk=run.pk, last_user_id=chunk[-1].pk).update(last_user_id=done)
        if isinstance(exc, DigestInterrupted):
            raise
        raise DigestInterrupted(smtp_failure(exc)[1]) from exc
    finally:
        DigestRun.objects.filter(pk=run.pk).update(recipients=F("recipients") + sent)
    return sent


def digest_email(run: DigestRun, posts: list, user: User) -> BatchEmail:
    from django.urls import reverse

    site = settings.SITE_URL.rstrip("/")
    context = {
        "user": user,
        "posts": [(post, f"{site}{post.get_absolute_url()}") for post in posts],
        "week": run.week,
        "settings_url": f"{site}{reverse('blog:account_settings')}",
        "site_url": site,
    }
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    count = len(posts)
    message = BatchEmail(
        subject=f"This week on Lightblog: {count} new post{'s' if count != 1 else ''}",
        body=render_to_string("reminders/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # One per user and week: a receiving server can recognise a repeat.
        headers={"Message-ID": f"<digest.{run.week:%Y%m%d}.{user.pk}@{domain}>"},
    )
    message.attach_alternative(
        render_to_string("reminders/email/digest.html", context), "text/html"
    )
    return message
