"""Creating reminders and staff's transitions: edit, send now, send again, cancel,
mark sent; and cancelling a deleted user's pending emails.

Web requests, the admin and the API call these. Each one that makes a reminder
pending saves it, and the ``post_save`` receiver (``reminders/signals.py``) publishes
it once the transaction commits; the bulk actions update many rows at once and
publish them in batches themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from ..models import DEFAULT_SUBJECT, Reminder, ReminderStatus
from .publishing import enqueue_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

RESCHEDULABLE = (ReminderStatus.PENDING, ReminderStatus.FAILED)
# Send again: a new email for one that went out, failed, may have gone out, or was
# suppressed (once staff took the address off the list).
SENDABLE_AGAIN = (
    ReminderStatus.SENT,
    ReminderStatus.FAILED,
    ReminderStatus.UNKNOWN,
    ReminderStatus.SUPPRESSED,
)


@transaction.atomic
def reminder_create(
    *,
    email: str,
    text: str,
    date: datetime,
    subject: str = DEFAULT_SUBJECT,
    user: AbstractBaseUser | None = None,
) -> Reminder:
    """Create a pending reminder; its email is scheduled once the transaction commits."""
    reminder = Reminder(email=email, text=text, date=date, subject=subject, user=user)
    reminder.full_clean()
    reminder.save()
    return reminder


def welcome_reminder_create(user: AbstractBaseUser) -> Reminder:
    """The welcome email of a new user, due ``REMINDERS_WELCOME_DELAY`` seconds from now.

    Registration calls this inside the transaction that creates the user, so a failed
    registration leaves no reminder and no email.
    """
    site = settings.SITE_URL.rstrip("/")
    context = {
        "user": user,
        "site_url": site,
        "settings_url": f"{site}{reverse('blog:account_settings')}",
    }
    # In the language the user signed up in (docs/i18n.md): the row keeps the text.
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        text = render_to_string("reminders/welcome.txt", context).strip()
        subject = gettext(DEFAULT_SUBJECT)
    return reminder_create(
        email=user.email,
        text=text,
        subject=subject,
        date=timezone.now() + timedelta(seconds=settings.REMINDERS_WELCOME_DELAY),
        user=user,
    )


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
    """Send a pending, failed or cancelled reminder now instead of at its date.

    Its ``date`` stays what it was (what staff or the user asked for); only
    ``next_attempt_at`` moves to now. The email keeps its Message-ID: none went out.
    """
    locked = _lock(reminder)
    _require_status(locked, (*RESCHEDULABLE, ReminderStatus.CANCELLED), "sent now (use send again)")
    _make_due_now([locked.pk], new_date=False)
    reminder.refresh_from_db()
    return reminder


@transaction.atomic
def reminder_send_again(*, reminder: Reminder) -> Reminder:
    """Send a sent, failed or unknown reminder once more, now, with a fresh attempt count."""
    locked = _lock(reminder)
    _require_status(locked, SENDABLE_AGAIN, "sent again")
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
    Reminder.objects.filter(pk=locked.pk).end_claim(ReminderStatus.CANCELLED)
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
    a thousand reminders cost ten messages, each sent over
    ``REMINDERS_BATCH_CONNECTIONS`` SMTP connections, not a thousand messages.
    """
    return _send_many(
        reminders,
        (*RESCHEDULABLE, ReminderStatus.CANCELLED),
        "sent now (use send again)",
        new_date=False,
    )


@transaction.atomic
def reminders_send_again(*, reminders: Iterable[Reminder]) -> BulkChange:
    """:func:`reminder_send_again` for many reminders at once, published in batches."""
    return _send_many(reminders, SENDABLE_AGAIN, "sent again", new_date=True)


@transaction.atomic
def reminders_mark_sent(*, reminders: Iterable[Reminder]) -> BulkChange:
    """Record that reminders whose outcome was unknown did arrive (staff checked with
    the recipient or the server's log): ``sent``, at the time of that attempt."""
    locked = _locked_in_order(reminders)
    changed, refused = _split(locked, (ReminderStatus.UNKNOWN,), "marked sent")
    for reminder in changed:
        # When the unknown outcome was recorded: right after the body went out.
        Reminder.objects.filter(pk=reminder.pk).end_claim(
            ReminderStatus.SENT, sent_at=reminder.updated
        )
    changed = list(Reminder.objects.filter(pk__in=[r.pk for r in changed]).order_by("pk"))
    return BulkChange(changed=changed, refused=refused)


def reminders_cancel_for_user(*, user_id: int) -> int:
    """Cancel the pending emails of a user who is being deleted; returns how many.

    Called inside the deletion's transaction (``signals.user_deleting``), before the
    reminders' ``user`` is set to NULL: a deleted user gets no welcome email. A
    reminder a worker has already claimed (``sending``) is left to finish; one UPDATE
    conditional on ``pending`` decides which of the two comes first.
    """
    now = timezone.now()
    return (
        Reminder.objects.pending()
        .filter(user_id=user_id)
        .end_claim(
            ReminderStatus.CANCELLED,
            last_error="Cancelled: its user was deleted.",
            updated=now,
        )
    )


def _send_many(
    reminders: Iterable[Reminder], allowed: tuple[str, ...], action: str, *, new_date: bool
) -> BulkChange:
    changed, refused = _split(_locked_in_order(reminders), allowed, action)
    if changed:
        ids = [reminder.pk for reminder in changed]
        _make_due_now(ids, new_date=new_date)
        changed = list(Reminder.objects.filter(pk__in=ids).order_by("pk"))
    return BulkChange(changed=changed, refused=refused)


def _locked_in_order(reminders: Iterable[Reminder]) -> list[Reminder]:
    # Row locks in primary-key order, as every claim takes them: no deadlock with a
    # worker, and none of these can be in the middle of a send when it is changed.
    pks = [reminder.pk for reminder in reminders]
    return list(Reminder.objects.select_for_update().filter(pk__in=pks).order_by("pk"))


def _split(
    locked: list[Reminder], allowed: tuple[str, ...], action: str
) -> tuple[list[Reminder], list[tuple[Reminder, str]]]:
    """Those of ``locked`` whose status allows ``action``, and the others with why not."""
    changed, refused = [], []
    for reminder in locked:
        try:
            _require_status(reminder, allowed, action)
        except ValidationError as error:
            refused.append((reminder, " ".join(error.messages)))
        else:
            changed.append(reminder)
    return changed, refused


def _make_due_now(ids: list, *, new_date: bool) -> None:
    """Pending, due now, a fresh attempt count; published after the commit, in batches.

    No save(): one UPDATE, and no post_save publishing each one on its own. Send again
    (``new_date``) is a new email: its date, hence its Message-ID, is now; send now
    keeps the date and moves only the next attempt.
    """
    now = timezone.now()
    Reminder.objects.filter(pk__in=ids).end_claim(
        ReminderStatus.PENDING,
        next_attempt_at=now,
        attempts=0,
        last_error="",
        enqueued_at=None,
        updated=now,
        **({"date": now} if new_date else {}),
    )
    enqueue_on_commit(ids)


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
    """Save ``locked`` pending again (the receiver schedules it after commit) and bring
    the caller's ``original`` up to date with what was saved."""
    locked.reschedule()
    locked.full_clean()
    locked.save()
    original.refresh_from_db()
    return original
