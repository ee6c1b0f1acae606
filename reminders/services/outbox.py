"""The outbox: emails sent through Django's mail API, stored whole, sent by a worker.

``reminders.outbox.EmailBackend`` (``EMAIL_BACKEND``) hands every message here. Each
recipient (To, Cc and Bcc) becomes one ``Reminder`` row of kind ``mail`` holding the
serialised message, written in the caller's transaction and published once it
commits: from there it is claimed, sent, retried, swept and shown to staff exactly as
a welcome email is (docs/email.md). The request that sent it never talks to the SMTP
server; the worker sends with ``REMINDERS_EMAIL_BACKEND``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from ..mail.messages import fast_serialisation
from ..models import SUBJECT_MAX_LENGTH, MailKind, Reminder, ReminderStatus, make_message_id
from .publishing import enqueue_on_commit

# Headers every email of the site carries unless its sender set them (RFC 3834: an
# automatic message; vacation responders do not answer it).
AUTO_SUBMITTED = {"Auto-Submitted": "auto-generated"}


class MessageTooLarge(ValueError):
    """The serialised email is larger than ``REMINDERS_OUTBOX_MAX_BYTES``."""


def outbox_store(
    messages: Sequence[EmailMessage],
    *,
    kind: MailKind = MailKind.MAIL,
    users: Sequence | None = None,
) -> list[Reminder]:
    """Store one row per recipient of each message, pending and due now, and publish
    them when the current transaction commits. Returns the rows (in order). ``users``,
    one per message, are the rows' users (the digest's recipients).

    Each row's copy has a Message-ID of its own that names the row (``Reminder.
    message_id``), so a bounce report finds it. A message that cannot be serialised
    (a line break in a header, an address that cannot be encoded) raises here, in
    the sender's code, as Django's own backends do; nothing of that message is stored.
    """
    now = timezone.now()
    rows: list[Reminder] = []
    for index, message in enumerate(messages):
        user = users[index] if users is not None else None
        rows += _rows(message, kind=kind, now=now, user=user)
    if rows:
        Reminder.objects.bulk_create(rows)
        enqueue_on_commit([row.pk for row in rows])
    return rows


def _rows(message: EmailMessage, *, kind: MailKind, now, user) -> list[Reminder]:
    recipients = [parseaddr(str(address))[1] or str(address) for address in message.recipients()]
    headers = message.extra_headers
    saved = dict(headers)
    rows = []
    try:
        for key, value in AUTO_SUBMITTED.items():
            headers.setdefault(key, value)
        for address in dict.fromkeys(recipients):
            pk = uuid.uuid4()
            headers["Message-ID"] = make_message_id(pk, now, kind)
            raw = fast_serialisation(message.message()).as_bytes(linesep="\r\n")
            if len(raw) > settings.REMINDERS_OUTBOX_MAX_BYTES:
                raise MessageTooLarge(
                    f"The email to {address!r} is {len(raw)} bytes, more than "
                    f"REMINDERS_OUTBOX_MAX_BYTES ({settings.REMINDERS_OUTBOX_MAX_BYTES})"
                )
            rows.append(
                Reminder(
                    id=pk,
                    kind=kind,
                    email=address,
                    # message() above refused a line break in it.
                    subject=str(message.subject)[:SUBJECT_MAX_LENGTH],
                    text="",
                    raw_message=raw,
                    user=user,
                    date=now,
                    next_attempt_at=now,
                    status=ReminderStatus.PENDING,
                )
            )
    finally:
        headers.clear()
        headers.update(saved)
    return rows


# Ended for good: sent, failed, cancelled, suppressed. "unknown" waits for staff.
PRUNABLE = (
    ReminderStatus.SENT,
    ReminderStatus.FAILED,
    ReminderStatus.CANCELLED,
    ReminderStatus.SUPPRESSED,
)
PRUNE_CHUNK = 1000


def outbox_prune(*, now: datetime | None = None, limit: int = 100_000) -> int:
    """Delete the stored emails (account emails, digests) that ended more than
    ``REMINDERS_OUTBOX_KEEP_DAYS`` days ago; returns how many went (at most ``limit``
    per run, a thousand per statement). Their bodies hold confirmation and
    password-reset links, and a digest a week's posts per reader: neither is kept
    longer than staff need to see what happened. Reminders (their admin is their
    record), and emails pending, being sent or of unknown outcome, are kept. 0 days
    keeps everything."""
    days = settings.REMINDERS_OUTBOX_KEEP_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = Reminder.objects.filter(
        kind__in=(MailKind.MAIL, MailKind.DIGEST), status__in=PRUNABLE, updated__lt=cutoff
    )
    deleted = 0
    while deleted < limit:
        ids = list(old.values_list("pk", flat=True)[: min(PRUNE_CHUNK, limit - deleted)])
        if not ids:
            break
        Reminder.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted
