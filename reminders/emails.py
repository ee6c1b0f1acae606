"""The email of an outbox row: a reminder built from its fields (plain text with an
HTML alternative), or the message stored whole for the other kinds."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from .mail.messages import BatchEmail, StoredEmail
from .models import Reminder


def reminder_email(reminder: Reminder) -> EmailMessage:
    """The email of ``reminder``, with its stable Message-ID (see ``Reminder.message_id``):
    the stored message to its row's address, or the reminder built from its fields."""
    if reminder.raw_message is not None:
        return StoredEmail(reminder.raw_message, to=reminder.email)
    context = {"reminder": reminder}
    message = BatchEmail(
        subject=reminder.subject,
        body=render_to_string("reminders/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.email],
        # Automatic, not a reply to anything (RFC 3834): vacation responders stay quiet.
        headers={"Message-ID": reminder.message_id, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("reminders/email/reminder.html", context), "text/html"
    )
    return message
