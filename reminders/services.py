"""Writes of the reminders app: every transition of a reminder's state lives here.

Creating or rescheduling a reminder saves it; the post_save receiver
(``reminders/signals.py``) then calls :func:`reminder_enqueue` after the transaction
commits. A worker running ``reminders.tasks.remind`` calls :func:`reminder_deliver`,
which claims the reminder with one conditional UPDATE before it sends anything.
Beat runs :func:`reminders_dispatch_due` every minute for what the first path did
not publish (far-future reminders, a broker that was down, a lost worker).
"""

from __future__ import annotations

import logging
import random
import smtplib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import DEFAULT_SUBJECT, DigestRun, Reminder, ReminderStatus

if TYPE_CHECKING:
    from blog.models import User

logger = logging.getLogger(__name__)

LAST_ERROR_MAX_LENGTH = 1000


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


def remind_publish(reminder_id: uuid.UUID | str, *, eta: datetime | None) -> None:
    """Publish one ``remind`` message, failing fast when the broker is down."""
    from .tasks import remind

    interval = settings.REMINDERS_PUBLISH_RETRY_INTERVAL
    remind.apply_async(
        args=(str(reminder_id),),
        eta=eta,
        retry=True,
        retry_policy={
            "max_retries": settings.REMINDERS_PUBLISH_MAX_RETRIES,
            "interval_start": interval,
            "interval_step": interval,
            "interval_max": interval,
        },
    )


@dataclass(frozen=True)
class DispatchReport:
    reclaimed: int
    given_up: int
    enqueued: int

    def as_dict(self) -> dict[str, int]:
        return {"reclaimed": self.reclaimed, "given_up": self.given_up, "enqueued": self.enqueued}


def reminders_dispatch_due() -> DispatchReport:
    """Beat's sweep, every minute: reclaim lost claims, publish what needs a message.

    1. A ``sending`` claim older than ``REMINDERS_LEASE`` belonged to a worker that
       died: it becomes pending again (or failed, when no attempt is left).
    2. Pending reminders entering the ETA horizon that were never published, and
       those whose message should have run ``REMINDERS_ENQUEUE_GRACE`` ago, are
       published (at most ``REMINDERS_DISPATCH_BATCH`` per run).

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
        status=ReminderStatus.FAILED, claimed_at=None, last_error=lost, updated=now
    )
    reclaimed = stale.update(
        status=ReminderStatus.PENDING,
        claimed_at=None,
        enqueued_at=None,
        next_attempt_at=now,
        last_error=lost,
        updated=now,
    )
    if reclaimed or given_up:
        logger.warning("dispatch_due: %d lost claims retried, %d failed", reclaimed, given_up)

    candidates = (
        Reminder.objects.to_dispatch(
            now,
            horizon=timedelta(seconds=settings.REMINDERS_ETA_HORIZON),
            grace=timedelta(seconds=settings.REMINDERS_ENQUEUE_GRACE),
        )
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at")[: settings.REMINDERS_DISPATCH_BATCH]
    )
    published = []
    for pk, next_attempt_at in candidates:
        try:
            remind_publish(pk, eta=next_attempt_at if next_attempt_at > now else None)
        except Exception:
            logger.exception("dispatch_due: broker unreachable; the next run retries")
            break
        published.append(pk)
    if published:
        Reminder.objects.filter(pk__in=published).update(enqueued_at=now)
    return DispatchReport(reclaimed=reclaimed, given_up=given_up, enqueued=len(published))


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

    try:
        reminder_email(reminder).send()
    except Exception as exc:
        return _attempt_failed(reminder, exc)

    # The SMTP server has the email. This UPDATE is the end of the one window in
    # which a crash causes a duplicate (see the README): it is unconditional
    # because the email went out even if a lease expired meanwhile.
    now = timezone.now()
    Reminder.objects.filter(pk=pk).update(
        status=ReminderStatus.SENT, sent_at=now, claimed_at=None, updated=now
    )
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
            updated=now,
        )
    )
    if not claimed:
        return None
    return Reminder.objects.get(pk=reminder_id)


def reminder_email(reminder: Reminder) -> EmailMultiAlternatives:
    """The reminder's email: plain text with an HTML alternative."""
    context = {"reminder": reminder}
    message = EmailMultiAlternatives(
        subject=reminder.subject,
        body=render_to_string("reminders/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.email],
        headers={"Message-ID": reminder.message_id},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    message.attach_alternative(
        render_to_string("reminders/email/reminder.html", context), "text/html"
    )
    return message


def smtp_failure(exc: BaseException) -> tuple[bool, str]:
    """(permanent, description) of a failed send.

    SMTP replies 5xx, a recipient refused with 5xx included, are permanent; 4xx
    replies, refused connections, timeouts and anything unexpected are temporary.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = exc.recipients.values()
        permanent = bool(replies) and all(code >= 500 for code, _ in replies)
        description = "; ".join(
            f"{address} refused: {code} {_text(reply)}"
            for address, (code, reply) in exc.recipients.items()
        )
        return permanent, description
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500, f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
    return False, f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def reminder_retry_delay(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): doubling from REMINDERS_RETRY_DELAY,
    capped at REMINDERS_RETRY_MAX_DELAY (below the brokers' timeouts for a held
    message), then up to 20% earlier at random so that retries of a burst spread out."""
    base = settings.REMINDERS_RETRY_DELAY * 2 ** min(attempt - 1, 30)
    capped = min(base, settings.REMINDERS_RETRY_MAX_DELAY)
    return random.uniform(capped * 0.8, capped)


def _attempt_failed(reminder: Reminder, exc: Exception) -> Delivery:
    permanent, error = smtp_failure(exc)
    error = error[:LAST_ERROR_MAX_LENGTH]
    now = timezone.now()
    claim = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING)
    if permanent or reminder.attempts > settings.REMINDERS_MAX_RETRIES:
        claim.update(status=ReminderStatus.FAILED, last_error=error, claimed_at=None, updated=now)
        logger.warning(
            "remind: reminder %s failed after %d attempt(s): %s",
            reminder.pk,
            reminder.attempts,
            error,
            exc_info=not isinstance(exc, smtplib.SMTPException),
        )
        return Delivery(str(reminder.pk), DeliveryStatus.FAILED, error=error)

    delay = reminder_retry_delay(reminder.attempts)
    claim.update(
        status=ReminderStatus.PENDING,
        last_error=error,
        claimed_at=None,
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
        exc_info=not isinstance(exc, (smtplib.SMTPException, OSError)),
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
    status: str  # "sent", "empty" (no posts), "already_sent"
    posts: int
    sent: int

    def as_dict(self) -> dict[str, str | int]:
        return {"week": self.week, "status": self.status, "posts": self.posts, "sent": self.sent}


def digest_week(now: datetime) -> date:
    """The Monday (in TIME_ZONE) of the week ``now`` falls in: one digest per week."""
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday())


def digest_send(*, now: datetime | None = None) -> DigestReport:
    """Email the posts published since the last digest to every user who opted in.

    One ``DigestRun`` per week: a second run in the same week finds it finished and
    sends nothing; a run interrupted by the SMTP server resumes after the last
    recipient sent. Recipients are read ``REMINDERS_DIGEST_CHUNK`` at a time in
    primary-key order and each chunk goes over one SMTP connection, so memory stays
    flat whatever the number of users. Before a chunk is sent its end is recorded
    with a compare-and-set UPDATE: two runs at once never send the same chunk, and
    a worker killed mid-chunk leaves the rest of that chunk unsent (never sent twice).
    """
    from blog.models import Post

    now = now or timezone.now()
    run = _digest_run(now)
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
    while True:
        cursor, chunk = _digest_claim_chunk(run)
        if not chunk:
            break
        sent += _digest_send_chunk(run, posts, cursor, chunk)
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
    sent = 0
    done = cursor  # the last recipient dealt with (sent, or refused for good)
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        with connection:  # one SMTP connection for the whole chunk
            for user in chunk:
                try:
                    digest_email(run, posts, user, connection).send()
                except smtplib.SMTPRecipientsRefused as exc:
                    permanent, error = smtp_failure(exc)
                    if not permanent:
                        raise  # a 4xx: the server, not the address; retry later
                    # This address is refused for good: skip it, go on.
                    logger.warning("digest: %s", error)
                else:
                    sent += 1
                done = user.pk
    except Exception as exc:
        # The server went away: give the rest of the chunk back, so the retry starts
        # right after the last user dealt with.
        DigestRun.objects.filter(pk=run.pk, last_user_id=chunk[-1].pk).update(last_user_id=done)
        raise DigestInterrupted(smtp_failure(exc)[1]) from exc
    finally:
        DigestRun.objects.filter(pk=run.pk).update(recipients=F("recipients") + sent)
    return sent


def digest_email(
    run: DigestRun, posts: list, user: User, connection: Any
) -> EmailMultiAlternatives:
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
    message = EmailMultiAlternatives(
        subject=f"This week on Lightblog: {count} new post{'s' if count != 1 else ''}",
        body=render_to_string("reminders/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # One per user and week: a receiving server can recognise a repeat.
        headers={"Message-ID": f"<digest.{run.week:%Y%m%d}.{user.pk}@{domain}>"},
        connection=connection,
    )
    message.attach_alternative(
        render_to_string("reminders/email/digest.html", context), "text/html"
    )
    return message
